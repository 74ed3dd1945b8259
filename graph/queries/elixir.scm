; Elixir: see graph/extract.py. Definitions are macro calls (defmodule, def, defp, ...);
; modules hold functions the way classes hold methods.
(call target: (identifier) @_kw (arguments . (alias) @name)
  (#any-of? @_kw "defmodule" "defprotocol")) @def.module
(call target: (identifier) @_kw
  (arguments . [(call target: (identifier) @name)
                (identifier) @name
                (binary_operator left: (call target: (identifier) @name))])
  (#any-of? @_kw "def" "defp" "defmacro" "defmacrop" "defguard" "defdelegate")) @def.function

(call target: (identifier) @call
  (#not-match? @call "^(def|defp|defmacro|defmacrop|defguard|defdelegate|defmodule|defprotocol|defimpl|defstruct|if|unless|case|cond|with|for|try|receive|import|alias|use|require|quote|unquote|fn)$"))
(call target: (dot left: (_) @call.receiver right: (identifier) @call))

(call target: (identifier) @_kw (arguments . (alias) @import)
  (#any-of? @_kw "import" "alias" "use" "require"))
(call target: (identifier) @_kw (arguments . (alias) @inherit)
  (#any-of? @_kw "use" "@behaviour"))

(call target: (identifier) @_kw (#any-of? @_kw "if" "unless" "cond" "with" "for")) @branch
(stab_clause) @branch
(binary_operator operator: ["and" "or" "&&" "||"]) @branch
(call target: (identifier) @_kw
  (#any-of? @_kw "if" "unless" "case" "cond" "with" "for" "try" "receive")) @nest

(comment) @comment
