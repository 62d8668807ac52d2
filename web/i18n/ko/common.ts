/** Strings every page group shares (Korean, the source shape). */
export const common = {
  appName: 'yeyak 백신 사전예약',
  langToggle: 'English',
  langToggleLabel: 'Switch to English',
  largeText: '큰 글씨',
  sandbox: '모의 본인인증(sandbox)입니다. 인증번호 000000으로 누구나 인증되며, 여기서 한 예약은 실제가 아닙니다.',
  loading: '불러오는 중…',
  retry: '다시 시도',
  networkError: '연결이 원활하지 않습니다. 잠시 후 다시 시도해 주세요.',
  skipToContent: '본문으로 건너뛰기',
};
