/** A booster's cohort by earlier doses in the definition editor (issue #11): shown when the campaign has one; its day count is editable. */
import { lang } from '../shared/ui.tsx';
import { opsBooster as ko } from '../i18n/ko/ops-booster.ts';
import { opsBooster as en } from '../i18n/en/ops-booster.ts';
import { IntField, type Editor } from './fields.tsx';

export function CohortFieldset({ ed }: { ed: Editor }) {
  const cohort = ed.draft.value.cohort;
  if (!cohort) return null;
  const w = lang.value === 'en' ? en : ko;
  return (
    <fieldset data-testid="definition-cohort">
      <legend>{w.legend}</legend>
      <div class="grid">
        <IntField ed={ed} path="/cohort/minDaysSinceLastDose" label={w.minDays} hint={w.minDaysHint} min={0} max={3650} />
      </div>
      <p class="hint">{cohort.sourceCampaigns ? w.sources(cohort.sourceCampaigns.join(', ')) : w.sourcesAny}</p>
      <p class="hint">{w.records}</p>
    </fieldset>
  );
}
