// Named stand-ins for JSON.parse and JSON.stringify, injected (esbuild define + inject) into the
// profiling bundle only. Builtins have no frame of their own in a V8 CPU profile: their time is
// charged to the calling function. With these, the profile tells the first parse, the reviver
// re-parse and the stringify apart. The bundle that `npm run bench` measures has none of this.

const { parse, stringify } = JSON

export function benchJsonParse(text, reviver) {
  return reviver === undefined ? jsonParse(text) : jsonParseWithReviver(text, reviver)
}

export function benchJsonStringify(value, replacer, space) {
  return jsonStringify(value, replacer, space)
}

function jsonParse(text) {
  return parse(text)
}

function jsonParseWithReviver(text, reviver) {
  return parse(text, reviver)
}

function jsonStringify(value, replacer, space) {
  return stringify(value, replacer, space)
}
