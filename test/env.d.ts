// Vite's `?raw` imports: test fixtures and the shared corpus as text.
declare module '*?raw' {
  const text: string
  export default text
}
