import type { Shape } from '../shape.ts';
import type { common as ko } from '../ko/common.ts';

export const common: Shape<typeof ko> = {
  appName: 'yeyak vaccination pre-booking',
  langToggle: '한국어',
  langToggleLabel: '한국어로 보기',
  largeText: 'Large text',
  sandbox: 'Sandbox identity: the code 000000 verifies anyone, and nothing booked here is real.',
  loading: 'Loading…',
  retry: 'Try again',
  networkError: 'The connection is not working well. Please try again in a moment.',
  skipToContent: 'Skip to content',
};
