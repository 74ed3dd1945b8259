; inherits: _ecma
; JavaScript-only node types.
(field_definition property: (_) @name value: [(arrow_function) (function_expression)]) @def.function
(class_heritage (identifier) @inherit)
(class_heritage (member_expression property: (property_identifier) @inherit))

; JSX: using a component is calling it.
(jsx_opening_element name: (identifier) @call)
(jsx_self_closing_element name: (identifier) @call)
