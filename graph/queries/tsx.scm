; inherits: typescript
; TSX: TypeScript with JSX; using a component is calling it.
(jsx_opening_element name: (identifier) @call)
(jsx_self_closing_element name: (identifier) @call)
