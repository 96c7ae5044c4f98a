#!/usr/bin/env node
// Validates every object of rendered Kubernetes YAML (kubectl kustomize's output) against the
// Kubernetes OpenAPI schemas, with the validators npm's kubernetes-models generates from them.
// kubectl's own validation needs a live API server; this needs none. The schemas let unknown
// fields through (the API server refuses them separately), so a misspelt field such as
// `readOnlyRootFilesytem` is found here by another means: see unknownFields().
//
//   node validate_kubernetes.js FILE...     (- reads stdin)
//
// Prints "FILE: ok: N objects", or one line per invalid object "FILE: Kind/name: error", and
// exits 1 if any object is invalid, of a kind it has no schema for, or not YAML at all.
"use strict";

const fs = require("fs");
const YAML = require("yaml");

/** The kubernetes-models class of `apiVersion` and `kind`, or null when it has none. */
function modelOf(apiVersion, kind) {
  if (!/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion) || !/^[A-Za-z0-9]+$/.test(kind)) return null;
  try {
    return require(`kubernetes-models/${apiVersion}/${kind}`)[kind] || null;
  } catch (e) {
    if (e.code === "MODULE_NOT_FOUND") return null;
    throw e;
  }
}

/** The schema errors of `object` for `Model`, as short strings (none when it is valid). */
function errorsOf(Model, object) {
  try {
    new Model(object).validate();
    return [];
  } catch (e) {
    // ajv's errors name the path and the rule; the message alone is often "validation failed".
    if (Array.isArray(e.errors) && e.errors.length)
      return e.errors.map((x) => ({
        path: x.instancePath || "/",
        text: `${x.message}${paramsOf(x)}`,
      }));
    return [{path: "/", text: e.message}];
  }
}

// A value no field of these schemas accepts: not a scalar, not an object, and an array whose
// items are neither scalars nor objects.
const SENTINEL = [[[]]];

/** Fields of a valid object that the schemas do not know. A known field is one whose value the
 * schema looks at: replaced by SENTINEL, it makes an error at (or under) its own path. */
function unknownFields(Model, object) {
  const found = [];
  const visit = (value, path, set) => {
    if (value === null || typeof value !== "object") return;
    for (const key of Object.keys(value)) {
      const child = `${path}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;
      const probe = structuredClone(object);
      set(probe)[key] = SENTINEL;
      const errors = errorsOf(Model, probe);
      const hit = errors.some((e) => e.path === child || e.path.startsWith(child + "/"));
      if (!hit && !Array.isArray(value)) found.push(`${child} is not a field of this kind`);
      else visit(value[key], child, (o) => set(o)[key]);
    }
  };
  visit(object, "", (o) => o);
  return found;
}

/** The problems of one object, as short strings (none when it is valid). */
function problemsOf(object) {
  if (object === null || typeof object !== "object" || Array.isArray(object))
    return ["not a mapping"];
  const Model = modelOf(String(object.apiVersion), String(object.kind));
  if (!Model) return [`no schema for apiVersion ${object.apiVersion} kind ${object.kind}`];
  const errors = errorsOf(Model, object);
  if (errors.length) return errors.map((e) => `${e.path} ${e.text}`);
  return unknownFields(Model, object);
}

function paramsOf(error) {
  const p = error.params || {};
  if (p.additionalProperty) return ` (${p.additionalProperty})`;
  if (p.allowedValues) return ` (${p.allowedValues.join(", ")})`;
  return "";
}

function validateFile(file) {
  const text = fs.readFileSync(file === "-" ? 0 : file, "utf8");
  const docs = YAML.parseAllDocuments(text);
  let objects = 0;
  let bad = 0;
  for (const doc of docs) {
    if (doc.errors.length) {
      console.log(`${file}: YAML: ${doc.errors[0].message}`);
      bad++;
      continue;
    }
    const object = doc.toJS();
    if (object === null) continue; // an empty document between two ---
    objects++;
    const name = `${object.kind}/${(object.metadata || {}).name}`;
    for (const problem of problemsOf(object)) {
      console.log(`${file}: ${name}: ${problem}`);
      bad++;
    }
  }
  if (objects === 0) {
    console.log(`${file}: no objects`);
    bad++;
  }
  if (!bad) console.log(`${file}: ok: ${objects} objects`);
  return bad === 0;
}

const files = process.argv.slice(2);
if (!files.length) {
  console.error("usage: validate_kubernetes.js FILE... (- for stdin)");
  process.exit(1);
}
let ok = true;
for (const file of files) ok = validateFile(file) && ok;
process.exit(ok ? 0 : 1);
