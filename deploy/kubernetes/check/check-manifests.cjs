// Checks rendered Kubernetes manifests two ways:
//  1. TypeScript, strict, against kubernetes-types 1.30: each object becomes
//     an object literal typed as its kind, so an unknown field, a wrong type
//     (replicas: "3") or a missing required field (a gRPC probe without its
//     port) is a compile error.
//  2. kubernetes-models' JSON-schema validation of each object.
// Objects of kinds outside the Kubernetes API (the ServiceMonitor CRD) are
// listed as not checked.
//   node check-manifests.cjs rendered.yaml [more.yaml ...]
// Exit 0 when every object passes both; 1 otherwise (the errors printed).
"use strict";
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");
const yaml = require("js-yaml");

function typesModule(apiVersion) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["core", apiVersion];
  return `kubernetes-types/${group.replace(/\.k8s\.io$/, "")}/${version}`;
}

function modelsModule(apiVersion) {
  return `kubernetes-models/${apiVersion}`;
}

function main() {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error("usage: node check-manifests.cjs rendered.yaml...");
    return 2;
  }
  const objects = [];
  for (const f of files) {
    for (const doc of yaml.loadAll(fs.readFileSync(f, "utf8"))) {
      if (doc) objects.push({ file: f, doc });
    }
  }
  let failed = false;
  const lines = [];
  const imports = new Set();
  objects.forEach(({ file, doc }, i) => {
    const where = `${path.basename(file)}: ${doc.kind}/${doc.metadata && doc.metadata.name}`;
    if (typeof doc.apiVersion !== "string" || typeof doc.kind !== "string") {
      console.error(`${where}: no apiVersion or kind`);
      failed = true;
      return;
    }
    const mod = typesModule(doc.apiVersion);
    let known = true;
    try {
      require.resolve(`${mod}.d.ts`, { paths: [__dirname] });
    } catch (e) {
      known = false;
    }
    if (!known) {
      console.log(`${where}: ${doc.apiVersion} is not a Kubernetes API group: not type-checked`);
      return;
    }
    imports.add(`import type * as T${imports.size} from "${mod}";`);
    const alias = [...imports].findIndex((s) => s.endsWith(`"${mod}";`));
    lines.push(`// ${where}`);
    lines.push(`export const object${i}: T${alias}.${doc.kind} = ${JSON.stringify(doc, null, 2)};`);
    // Schema validation.
    try {
      const models = require(modelsModule(doc.apiVersion));
      const Kind = models[doc.kind];
      if (!Kind) throw new Error(`kubernetes-models has no ${doc.kind} in ${doc.apiVersion}`);
      new Kind(doc).validate();
    } catch (e) {
      console.error(`${where}: kubernetes-models: ${e.message}`);
      failed = true;
    }
  });
  // Next to node_modules, so that the imports resolve.
  const ts = path.join(__dirname, `.manifests-${process.pid}.ts`);
  fs.writeFileSync(ts, [...imports, ...lines].join("\n") + "\n");
  const tsc = path.join(__dirname, "node_modules/typescript/lib/tsc.js");
  try {
    execFileSync(process.execPath, [tsc, "--strict", "--noEmit", "--target", "es2020",
      "--module", "commonjs", "--moduleResolution", "node", ts], {
      stdio: "pipe", cwd: __dirname,
    });
  } catch (e) {
    console.error(`TypeScript (kubernetes-types):\n${e.stdout}${e.stderr}`);
    failed = true;
  }
  fs.rmSync(ts, { force: true });
  console.log(`${objects.length} objects, ${failed ? "FAILED" : "all valid"}`);
  return failed ? 1 : 0;
}

process.exit(main());
