import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { ROLES, type Role } from '../../config/catalogue.js';
import { generatedDocs } from '../../config/docs.js';
import { insecureWarningBox, nameWarnings } from '../../config/inspect.js';
import { buildReport, explain, renderExplanation, renderReportTable } from '../../config/report.js';
import { inspectSettings } from '../../config/settings.js';
import { closestName, formatConfigurationBlock } from '../../settings-engine/index.js';
import { knownVariableNames } from '../../config/inspect.js';
import { DOCS_HINT } from '../../config/catalogue.js';
import { ExitCode } from '../exit-codes.js';

const roleOption = () =>
  new Option('--role <role>', 'which process to check the settings of').choices([...ROLES]).default('all');

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function showCommand(): Command {
  return new Command('show')
    .description('Show every setting of a role: its value and where it comes from')
    .addOption(roleOption())
    .option('--json', 'print JSON for scripts (the shape is documented in docs/configuration.md)')
    .option('--show-secrets', 'print secret values instead of ********')
    .action((options: { role: Role; json?: boolean; showSecrets?: boolean }) => {
      const report = buildReport(inspectSettings(options.role), { showSecrets: options.showSecrets === true });
      if (options.json) printJson(report);
      else process.stdout.write(`${renderReportTable(report)}\n`);
      process.exitCode = report.errors.length > 0 ? ExitCode.Failure : ExitCode.Ok;
    });
}

function checkCommand(): Command {
  return new Command('check')
    .description('Validate the settings of a role as its process would at start-up (exit 1 when invalid)')
    .addOption(roleOption())
    .option('--json', 'print {valid, warnings, errors} as JSON')
    .action((options: { role: Role; json?: boolean }) => {
      const inspection = inspectSettings(options.role);
      const valid = inspection.issues.length === 0;
      process.exitCode = valid ? ExitCode.Ok : ExitCode.Failure;
      if (options.json) {
        const report = buildReport(inspection);
        printJson({ valid, env: report.env, role: report.role, warnings: report.warnings, errors: report.errors });
        return;
      }
      for (const warning of [...nameWarnings(inspection), ...inspection.notices]) process.stderr.write(`WARNING: ${warning}\n`);
      const box = insecureWarningBox(inspection);
      if (box) process.stderr.write(`${box}\n`);
      if (valid) process.stdout.write(`Configuration is valid for role '${options.role}' (KTRDR_ENV=${inspection.env}).\n`);
      else process.stderr.write(`${formatConfigurationBlock(inspection.issues, DOCS_HINT)}\n`);
    });
}

function explainCommand(): Command {
  return new Command('explain')
    .description('Explain one variable: its current value and where it comes from, its rule, default and deprecated names')
    .argument('<variable>', 'a variable name, canonical or deprecated (e.g. KTRDR_WORKER_PORT or WORKER_PORT)')
    .option('--json', 'print JSON for scripts')
    .option('--show-secrets', 'print a secret value instead of ********')
    .action((variable: string, options: { json?: boolean; showSecrets?: boolean }) => {
      const name = variable.trim().toUpperCase();
      const explanation = explain(inspectSettings('all'), name, { showSecrets: options.showSecrets === true });
      if (!explanation) {
        const suggestion = closestName(name, knownVariableNames());
        process.stderr.write(`error: ${name} is not a ktrdr setting${suggestion ? `; did you mean ${suggestion}?` : ''}\n`);
        process.exitCode = ExitCode.Usage;
        return;
      }
      if (options.json) printJson(explanation);
      else process.stdout.write(`${renderExplanation(explanation)}\n`);
      process.exitCode = explanation.error ? ExitCode.Failure : ExitCode.Ok;
    });
}

interface DocsOptions {
  check?: boolean;
  write?: boolean;
  envExample?: boolean;
  dir: string;
}

/** Which generated file `config docs` prints: the reference, or `.env.example` with --env-example. */
const ENV_EXAMPLE_PATH = '.env.example';

function docsCommand(): Command {
  return new Command('docs')
    .description('Print docs/configuration.md (or .env.example) generated from the settings catalogue; --write writes both files, --check compares them')
    .option('--env-example', 'print .env.example instead of the Markdown reference')
    .option('--write', 'write docs/configuration.md and .env.example under --dir instead of printing')
    .option('--check', 'write nothing; exit 1 when a file under --dir differs from what would be generated')
    .option('--dir <dir>', 'project directory the files are written under or compared with (--write, --check)', '.')
    .action((options: DocsOptions) => {
      if (!options.write && !options.check) {
        const wanted = options.envExample ? ENV_EXAMPLE_PATH : 'docs/configuration.md';
        const file = generatedDocs().find((candidate) => candidate.path === wanted);
        process.stdout.write(file?.content ?? '');
        return;
      }
      const stale: string[] = [];
      for (const file of generatedDocs()) {
        const path = resolve(options.dir, file.path);
        let current: string | null = null;
        try {
          current = readFileSync(path, 'utf8');
        } catch {
          current = null;
        }
        if (current === file.content) continue;
        if (options.check) {
          stale.push(file.path);
        } else {
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, file.content);
          process.stdout.write(`wrote ${file.path}\n`);
        }
      }
      if (stale.length > 0) {
        process.stderr.write(`stale: ${stale.join(', ')} (run: ktrdr config docs --write)\n`);
        process.exitCode = ExitCode.Failure;
      } else if (options.check) {
        process.stdout.write('configuration docs are up to date\n');
      }
    });
}

export function configCommand(): Command {
  return new Command('config')
    .description('Inspect and document the KTRDR_* settings')
    .addCommand(showCommand())
    .addCommand(checkCommand())
    .addCommand(explainCommand())
    .addCommand(docsCommand());
}
