; inherits: _ecma
; TypeScript additions: interfaces, enums, abstract classes, modules, implements.
(interface_declaration name: (_) @name) @def.interface
(enum_declaration name: (_) @name) @def.enum
(abstract_class_declaration name: (_) @name) @def.class
(internal_module name: (_) @name) @def.module
(public_field_definition name: (_) @name value: [(arrow_function) (function_expression)]) @def.function
(function_signature name: (identifier) @name) @def.function

(class_heritage (extends_clause value: (identifier) @inherit))
(class_heritage (implements_clause (type_identifier) @inherit))
(extends_type_clause type: (type_identifier) @inherit)
