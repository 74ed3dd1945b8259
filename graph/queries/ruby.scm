; Ruby: see graph/extract.py. Modules hold methods like classes do.
(method name: (_) @name) @def.function
(singleton_method name: (_) @name) @def.function
(class name: [(constant) (scope_resolution)] @name) @def.class
(module name: [(constant) (scope_resolution)] @name) @def.module

(superclass (constant) @inherit)
(superclass (scope_resolution name: (constant) @inherit))

(call receiver: (_)? @call.receiver method: (identifier) @call)
(call receiver: (constant) @call method: (identifier) @_new (#eq? @_new "new"))

(call method: (identifier) @_require arguments: (argument_list (string (string_content) @import))
  (#any-of? @_require "require" "require_relative" "load"))

[(if) (elsif) (unless) (while) (until) (for) (when) (rescue) (conditional) (if_modifier)
 (unless_modifier) (while_modifier) (until_modifier)] @branch
(binary operator: ["&&" "||" "and" "or"]) @branch
[(if) (unless) (while) (until) (for) (case) (begin)] @nest

(comment) @comment
