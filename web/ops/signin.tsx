/** Signed in, but not as an operator: the clinic portal is theirs. */
import { t } from './words.ts';

export function NotOperator() {
  const w = t().signIn;
  return (
    <section aria-labelledby="not-operator">
      <h1 id="not-operator">{w.notOperatorHeading}</h1>
      <p>{w.notOperator}</p>
      <p><a href="/clinic/">{w.clinicPortal}</a></p>
    </section>
  );
}
