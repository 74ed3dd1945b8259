; inherits: typescript
; TSX: TypeScript with JSX, same definitions.
