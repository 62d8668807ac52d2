/** Running ▶ or paused ❙❙, drawn (a font may lack the pause sign); always beside the word. */
export function StateIcon({ paused }: { paused: boolean }) {
  return (
    <svg class="state-icon" width="14" height="14" viewBox="0 0 14 14" aria-hidden="true" focusable="false">
      {paused ? (
        <>
          <rect x="2" y="1" width="3.5" height="12" fill="currentColor" />
          <rect x="8.5" y="1" width="3.5" height="12" fill="currentColor" />
        </>
      ) : (
        <path d="M3 1 L13 7 L3 13 Z" fill="currentColor" />
      )}
    </svg>
  );
}
