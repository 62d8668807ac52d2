import { render } from 'preact';
import '../shared/base.css';
import { currentLang } from '../i18n/lang.ts';
import { common as ko } from '../i18n/ko/common.ts';
import { common as en } from '../i18n/en/common.ts';

const t = currentLang() === 'en' ? en : ko;
render(<main><h1>{t.appName}</h1></main>, document.getElementById('app')!);
