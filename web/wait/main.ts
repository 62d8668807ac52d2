import '../shared/base.css';
import { currentLang } from '../i18n/lang.ts';
import { common as ko } from '../i18n/ko/common.ts';
import { common as en } from '../i18n/en/common.ts';

const t = currentLang() === 'en' ? en : ko;
const main = document.createElement('main');
main.textContent = t.appName;
document.getElementById('app')!.append(main);
