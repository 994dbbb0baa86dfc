/**
 * Checks a training config against the data set it will train on, where the schema alone cannot
 * (it does not know the set's sizes). Runs for single runs and for a sweep's base config, before
 * anything is stored, so a bad request never leaves a run that fails in its trainer.
 */
import { type Dataset, type TrainConfig, validationCount } from '../../shared/domain';
import { ApiError } from '../../shared/errors';

export function checkValidation(config: Pick<TrainConfig, 'validation' | 'finalTest'>, dataset: Pick<Dataset, 'counts' | 'name'>): void {
  const train = dataset.counts.train;
  if (config.validation.split === 'holdout') {
    const n = validationCount(train, config.validation);
    if (n < 1 || n >= train) {
      throw new ApiError(
        'invalid_argument',
        `A validation split of ${config.validation.size} would hold out ${n} of the ${train} training samples of "${dataset.name}": it must leave at least one sample on each side`,
      );
    }
  } else if (config.finalTest) {
    throw new ApiError('invalid_argument', 'finalTest needs a held-out validation split: with validation on the test split, no untouched test score is left to report');
  } else if (dataset.counts.test < 1) {
    throw new ApiError('invalid_argument', `"${dataset.name}" has no test split to validate on`);
  }
  if (config.finalTest && dataset.counts.test < 1) {
    throw new ApiError('invalid_argument', `"${dataset.name}" has no test split to report a final test score on`);
  }
}
