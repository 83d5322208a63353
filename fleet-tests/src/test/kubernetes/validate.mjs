// Checks Kubernetes manifests offline, as the API server would check them:
//   node validate.mjs FILE.yaml...
// Every document of every file is validated against the API's schemas by its kind's class in
// kubernetes-models (validate()), and must have no field the API does not know: a server rejects those under
// kubectl's default strict field validation, but the schemas' validate() lets them pass, so the fields are
// checked here against the models' type declarations. Prints one line per object; exits 1 on any problem.
import { readFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const modules = join(dirname(fileURLToPath(import.meta.url)), "node_modules");
const problems = [];
/** .d.ts file → its interface's fields, read once. */
const declarations = new Map();

for (const file of process.argv.slice(2)) {
  const documents = parseAllDocuments(readFileSync(file, "utf8"));
  for (const document of documents) {
    if (document.errors.length > 0) {
      problems.push(`${file}: not YAML: ${document.errors.map((e) => e.message).join("; ")}`);
      continue;
    }
    const object = document.toJS();
    if (object == null) continue; // an empty document, as Helm leaves between templates
    const what = `${file}: ${object.kind}/${object.metadata?.name}`;
    const declaration = join(modules, "kubernetes-models", String(object.apiVersion), `${object.kind}.d.ts`);
    if (!object.apiVersion || !object.kind || !existsSync(declaration)) {
      problems.push(`${what}: no such kind in the Kubernetes API: ${object.apiVersion} ${object.kind}`);
      continue;
    }
    const module = await import(join(modules, "kubernetes-models", object.apiVersion, `${object.kind}.js`));
    const errors = [];
    try {
      new module[object.kind](object).validate();
    } catch (e) {
      errors.push(e.message);
    }
    unknownFields(object, declaration, "", errors);
    if (errors.length > 0) problems.push(`${what}: ${errors.join("; ")}`);
    else console.log(`valid ${what}`);
  }
}
for (const p of problems) console.log(`INVALID ${p}`);
process.exit(problems.length > 0 ? 1 : 0);

/** Adds to errors every field of value that the interface declared in file does not have, recursively. */
function unknownFields(value, file, path, errors) {
  if (value == null || typeof value !== "object") return;
  const fields = declaredFields(file);
  if (fields == null) return; // a type alias (IntOrString, Quantity, Time...): no fields to check
  for (const [name, v] of Object.entries(value)) {
    const field = fields.get(name);
    if (field === undefined) {
      errors.push(`${path}/${name} is not a field of ${fields.typeName}`);
    } else if (field !== null) {
      for (const [i, item] of (Array.isArray(v) ? v.entries() : [[null, v]])) {
        unknownFields(item, field, `${path}/${name}${i === null ? "" : `/${i}`}`, errors);
      }
    }
  }
}


/**
 * The fields of the first interface declared in a .d.ts file: name → the .d.ts of the field's type when it is
 * an object of the API (or an array of them), null when it is a scalar, a map or a type alias.
 */
function declaredFields(file) {
  if (declarations.has(file)) return declarations.get(file);
  const text = readFileSync(file, "utf8");
  const imports = new Map();
  for (const m of text.matchAll(/^import \{ (\w+) \} from "([^"]+)";$/gm)) imports.set(m[1], m[2]);
  const body = text.match(/^export interface (\w+)[^{]*\{\n([\s\S]*?)^\}/m);
  let fields = null;
  if (body) {
    fields = new Map();
    fields.typeName = body[1].replace(/^I/, "");
    for (const m of body[2].matchAll(/^ {4}"([^"]+)"\??: (?:Array<)?(\w+)?/gm)) {
      const from = m[2] && imports.get(m[2]);
      fields.set(m[1], from ? resolve(file, from) : null);
    }
  }
  declarations.set(file, fields);
  return fields;
}

function resolve(file, from) {
  return from.startsWith(".") ? join(dirname(file), from.replace(/\.js$/, ".d.ts")) : join(modules, `${from}.d.ts`);
}
