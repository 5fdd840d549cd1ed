/** `ktrdr models`: the trained models the backend holds (their metadata and test metrics, never their weights). */
import { Command } from 'commander';
import { ModelSummary } from '../../api/contract.js';
import { withBackend } from '../backend-session.js';
import { ExitCode } from '../exit-codes.js';
import { printJson, printList } from '../render/json.js';
import { resolveModelId } from '../resolve-id.js';
import { renderModelDetails, renderModelsTable } from '../render/models.js';

function listCommand(): Command {
  return new Command('list')
    .description('List trained models, newest first: id, strategy, data, created, test accuracy, test period')
    .option('--json', 'print {items, total} as JSON')
    .action((options: { json?: boolean }) =>
      withBackend(async (api) => {
        const models = await api.listModels();
        if (options.json) printList(models);
        else process.stdout.write(`${renderModelsTable(models)}\n`);
        return ExitCode.Ok;
      }),
    );
}

function showCommand(): Command {
  return new Command('show')
    .description('Show one model: strategy, data, periods, test metrics per class (not its weights)')
    .argument('<id>', 'model id (or a unique prefix of it)')
    .option('--json', 'print the model summary as JSON (without strategy text, feature specification and weights)')
    .action((id: string, options: { json?: boolean }) =>
      withBackend(async (api) => {
        // The artifact carries the weights; the summary schema keeps only what people read.
        const model = ModelSummary.parse(await api.getModel(await resolveModelId(api, id)));
        if (options.json) printJson(model);
        else process.stdout.write(`${renderModelDetails(model)}\n`);
        return ExitCode.Ok;
      }),
    );
}

function rmCommand(): Command {
  return new Command('rm')
    .description('Delete a trained model (refused while a pending or running backtest uses it)')
    .argument('<id>', 'model id (or a unique prefix of it)')
    .option('--json', 'print {model_id, deleted: true} as JSON')
    .action((prefix: string, options: { json?: boolean }) =>
      withBackend(async (api) => {
        const id = await resolveModelId(api, prefix);
        await api.deleteModel(id);
        if (options.json) printJson({ model_id: id, deleted: true });
        else process.stdout.write(`deleted model ${id}\n`);
        return ExitCode.Ok;
      }),
    );
}

export function modelsCommand(): Command {
  return new Command('models')
    .description('Trained models (ktrdr train makes them, ktrdr backtest uses them)')
    .addCommand(listCommand())
    .addCommand(showCommand())
    .addCommand(rmCommand());
}
