; Python: see graph/extract.py for the meaning of each capture name.
(function_definition name: (identifier) @name) @def.function
(class_definition name: (identifier) @name) @def.class

(class_definition superclasses: (argument_list [(identifier) (attribute)] @inherit))

(call function: (identifier) @call)
(call function: (attribute object: (_) @call.receiver attribute: (identifier) @call))

(import_statement name: (dotted_name) @import)
(import_statement name: (aliased_import name: (dotted_name) @import alias: (identifier) @import.alias))
(import_from_statement module_name: (_) @import name: (dotted_name) @import.name)
(import_from_statement module_name: (_) @import
  name: (aliased_import name: (dotted_name) @import.name alias: (identifier) @import.alias))
(import_from_statement module_name: (_) @import (wildcard_import))

[(if_statement) (elif_clause) (for_statement) (while_statement) (except_clause)
 (conditional_expression) (boolean_operator) (case_clause) (for_in_clause) (if_clause)] @branch
[(if_statement) (for_statement) (while_statement) (try_statement) (with_statement)
 (match_statement)] @nest

(comment) @comment
(function_definition body: (block . (string) @doc))
(class_definition body: (block . (string) @doc))
