; Bash: see graph/extract.py. `source x` and `. x` are imports; every command is a call.
(function_definition name: (word) @name) @def.function

(command name: (command_name (word) @call))

(command name: (command_name (word) @_source) argument: [(word) (string (string_content)) (raw_string)] @import
  (#any-of? @_source "source" "."))

[(if_statement) (elif_clause) (for_statement) (c_style_for_statement) (while_statement)
 (case_item)] @branch
(list ["&&" "||"]) @branch
[(if_statement) (for_statement) (c_style_for_statement) (while_statement) (case_statement)] @nest

(comment) @comment
