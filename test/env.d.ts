// Vite's `?raw` imports and `import.meta.glob`: test fixtures as text.
/// <reference types="vite/types/importMeta.d.ts" />
declare module '*?raw' {
  const text: string
  export default text
}
