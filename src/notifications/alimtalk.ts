/**
 * 알림톡 templates approved for the channel (YEYAK_SOLAPI_PFID), by topic. A 알림톡 is sent only
 * with a template the channel's owner registered and Kakao approved, whose text must match the
 * rendering; none is registered for this project yet, so every topic falls back to SMS/LMS until
 * an id is added here (the provider's test passes its own map).
 */
import type { NoticeTopic } from '../rules/notices.ts';

export const ALIMTALK_TEMPLATES: Partial<Record<NoticeTopic, string>> = {};
