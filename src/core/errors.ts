/**
 * The one error catalogue. Codes are stable: clients and the web page switch on `code`, never on
 * the message. A retired code is never reused — mark it retired instead of deleting it.
 */
export const errorCatalogue = {
  YEYAK_E_BAD_REQUEST: { status: 400, message: 'The request is malformed.', messageKo: '요청 형식이 올바르지 않습니다.' },
  YEYAK_E_VALIDATION: { status: 400, message: 'The request does not match the schema.', messageKo: '요청 값이 올바르지 않습니다.' },
  YEYAK_E_INVALID_JSON: { status: 400, message: 'The body is not valid JSON.', messageKo: '요청 본문이 올바른 JSON이 아닙니다.' },
  YEYAK_E_BODY_TOO_LARGE: { status: 413, message: 'The body is too large.', messageKo: '요청 본문이 너무 큽니다.' },
  YEYAK_E_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send JSON (application/json).', messageKo: 'JSON 형식으로 보내 주세요.' },
  YEYAK_E_NOT_FOUND: { status: 404, message: 'No such resource.', messageKo: '찾을 수 없습니다.' },
  YEYAK_E_METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed.', messageKo: '허용되지 않는 요청입니다.' },
  YEYAK_E_RATE_LIMITED: { status: 429, message: 'Too many requests; slow down.', messageKo: '요청이 너무 많습니다. 잠시 후 다시 시도해 주세요.' },
  YEYAK_E_UNAUTHENTICATED: { status: 401, message: 'Verify your identity first.', messageKo: '본인인증이 필요합니다.' },
  YEYAK_E_ADMIN_UNAUTHENTICATED: { status: 401, message: 'A staff credential is required.', messageKo: '관리자 인증이 필요합니다.' },
  YEYAK_E_SESSION_REVOKED: { status: 401, message: 'You have logged out; verify again.', messageKo: '로그아웃되었습니다. 다시 인증해 주세요.' },
  YEYAK_E_CSRF_TOKEN_INVALID: { status: 403, message: 'Send the X-CSRF-Token header (the yeyak_csrf cookie) with writes made with the session cookie.', messageKo: '보안 토큰(X-CSRF-Token)이 없거나 올바르지 않습니다. 페이지를 새로 고친 뒤 다시 시도해 주세요.' },
  YEYAK_E_OTHER_DEVICE_ACTIVE: { status: 423, message: 'You verified on another device a moment ago; only one device at a time. Try again after the time shown, or log out on the other device.', messageKo: '다른 기기에서 본인인증을 하셨습니다. 한 번에 한 기기만 이용할 수 있습니다. 표시된 시각 이후에 다시 시도하거나 다른 기기에서 로그아웃해 주세요.' },
  YEYAK_E_SESSION_EXPIRED: { status: 401, message: 'Your session has expired; verify again.', messageKo: '인증이 만료되었습니다. 다시 인증해 주세요.' },
  YEYAK_E_RRN_INVALID: { status: 400, message: 'The resident registration number is not valid.', messageKo: '주민등록번호가 올바르지 않습니다.' },
  YEYAK_E_PHONE_INVALID: { status: 400, message: 'The phone number is not valid.', messageKo: '휴대전화 번호가 올바르지 않습니다.' },
  YEYAK_E_IDENTITY_METHOD_UNKNOWN: { status: 400, message: 'Unknown verification method.', messageKo: '지원하지 않는 인증 방법입니다.' },
  YEYAK_E_CHALLENGE_NOT_FOUND: { status: 404, message: 'No such verification challenge (or it expired).', messageKo: '인증 요청을 찾을 수 없거나 만료되었습니다.' },
  YEYAK_E_CODE_WRONG: { status: 401, message: 'The verification code is wrong.', messageKo: '인증번호가 틀렸습니다.' },
  YEYAK_E_CHALLENGE_LOCKED: { status: 429, message: 'Too many wrong codes; start again.', messageKo: '인증번호를 여러 번 틀렸습니다. 처음부터 다시 시도해 주세요.' },
  YEYAK_E_IDENTITY_UNAVAILABLE: { status: 429, message: 'This verification method is busy or unavailable right now; try again shortly or choose another method.', messageKo: '선택한 인증 수단이 혼잡하거나 일시적으로 사용할 수 없습니다. 잠시 후 다시 시도하거나 다른 인증 수단을 선택해 주세요.' },
  YEYAK_E_IDENTITY_FAILED: { status: 401, message: 'The verification provider could not verify you with these details.', messageKo: '입력하신 정보로 본인인증을 할 수 없습니다.' },
  YEYAK_E_IDENTITY_PENDING: { status: 409, message: 'Approve the request in your app, then confirm again.', messageKo: '인증 앱에서 요청을 승인한 뒤 다시 확인해 주세요.' },
  YEYAK_E_CAMPAIGN_NOT_FOUND: { status: 404, message: 'No such campaign.', messageKo: '해당 예약 사업이 없습니다.' },
  YEYAK_E_CLINIC_NOT_FOUND: { status: 404, message: 'No such clinic in this campaign.', messageKo: '해당 의료기관이 없습니다.' },
  YEYAK_E_REGION_NOT_FOUND: { status: 404, message: 'No such region.', messageKo: '해당 지역이 없습니다.' },
  YEYAK_E_DATE_INVALID: { status: 400, message: 'The date is not a real calendar date (YYYY-MM-DD).', messageKo: '날짜가 올바르지 않습니다.' },
  YEYAK_E_DATE_NOT_OFFERED: { status: 409, message: 'This clinic offers no vaccination on that date.', messageKo: '해당 날짜에는 접종이 없습니다.' },
  YEYAK_E_NOT_ELIGIBLE: { status: 403, message: 'You are not eligible for this campaign.', messageKo: '예약 대상이 아닙니다.' },
  YEYAK_E_WINDOW_CLOSED: { status: 403, message: 'Your booking window is not open now.', messageKo: '지금은 예약 기간이 아닙니다.' },
  YEYAK_E_SLOT_FULL: { status: 409, message: 'No doses left on that date at that clinic.', messageKo: '해당 날짜의 예약이 마감되었습니다.' },
  YEYAK_E_DOSE2_FULL: { status: 409, message: 'No second-dose capacity at that clinic for the matching date.', messageKo: '2차 접종일의 예약이 마감되었습니다.' },
  YEYAK_E_ALREADY_BOOKED: { status: 409, message: 'You already hold a reservation in this campaign.', messageKo: '이미 예약하셨습니다.' },
  YEYAK_E_IDEMPOTENCY_KEY_REQUIRED: { status: 400, message: 'Send an Idempotency-Key header (8–64 characters).', messageKo: 'Idempotency-Key 헤더가 필요합니다.' },
  YEYAK_E_IDEMPOTENCY_MISMATCH: { status: 409, message: 'This Idempotency-Key was used with a different request.', messageKo: '같은 요청 키가 다른 요청에 사용되었습니다.' },
  YEYAK_E_RESERVATION_NOT_FOUND: { status: 404, message: 'No such reservation.', messageKo: '예약을 찾을 수 없습니다.' },
  YEYAK_E_RESERVATION_CANCELLED: { status: 409, message: 'This reservation is cancelled.', messageKo: '취소된 예약입니다.' },
  YEYAK_E_CHANGE_TOO_LATE: { status: 409, message: 'Changes are closed this close to the vaccination date.', messageKo: '접종일이 가까워 변경할 수 없습니다.' },
  YEYAK_E_CANCEL_TOO_LATE: { status: 409, message: 'Cancellation is closed this close to the vaccination date.', messageKo: '접종일이 가까워 취소할 수 없습니다.' },
  YEYAK_E_CHANGE_NOTHING: { status: 400, message: 'Give a new clinicId or date.', messageKo: '변경할 의료기관 또는 날짜를 입력해 주세요.' },
  YEYAK_E_SUPPLY_EXHAUSTED: { status: 409, message: 'All confirmed vaccine supply for this campaign is booked.', messageKo: '확보된 백신 물량이 모두 예약되었습니다.' },
  YEYAK_E_PASS_REQUIRED: { status: 403, message: 'Enter through the waiting room first.', messageKo: '대기열을 통해 접속해 주세요.' },
  YEYAK_E_PASS_INVALID: { status: 403, message: 'The admission pass is not valid.', messageKo: '입장권이 올바르지 않습니다.' },
  YEYAK_E_PASS_EXPIRED: { status: 403, message: 'The admission pass has expired; rejoin the waiting room.', messageKo: '입장권이 만료되었습니다. 다시 대기열에 들어가 주세요.' },
  YEYAK_E_PASS_WRONG_CAMPAIGN: { status: 403, message: 'The admission pass is for another campaign.', messageKo: '다른 예약 사업의 입장권입니다.' },
  YEYAK_E_PASS_WRONG_HOLDER: { status: 403, message: 'The admission pass belongs to another device or person.', messageKo: '다른 기기 또는 다른 사람의 입장권입니다.' },
  YEYAK_E_PASS_USED: { status: 403, message: 'The admission pass was already used for a booking.', messageKo: '이미 사용된 입장권입니다.' },
  YEYAK_E_TICKET_INVALID: { status: 401, message: 'The waiting-room ticket is not valid; join again.', messageKo: '대기번호가 올바르지 않습니다. 다시 접속해 주세요.' },
  YEYAK_E_POW_REQUIRED: { status: 428, message: 'Solve the join challenge first (GET …/queue/challenge).', messageKo: '접속 확인 절차가 필요합니다.' },
  YEYAK_E_POW_INVALID: { status: 400, message: 'The join challenge answer is wrong or expired.', messageKo: '접속 확인 답이 올바르지 않거나 만료되었습니다.' },
  YEYAK_E_QUEUE_NOT_ENABLED: { status: 409, message: 'This campaign has no waiting room.', messageKo: '이 예약 사업에는 대기열이 없습니다.' },
  YEYAK_E_BUSY: { status: 429, message: 'The service is busy; try again shortly.', messageKo: '접속이 많아 잠시 후 다시 시도해 주세요.' },
  YEYAK_E_PROXY_NOT_ALLOWED: { status: 403, message: 'Booking for someone else is not allowed in this campaign.', messageKo: '이 예약은 대리 예약이 허용되지 않습니다.' },
  YEYAK_E_PROXY_CAP_REACHED: { status: 409, message: 'You already book for the most people one proxy may book for in this campaign.', messageKo: '한 사람이 대리 예약할 수 있는 인원을 모두 채웠습니다.' },
  YEYAK_E_FORBIDDEN: { status: 403, message: 'Your staff role does not allow this.', messageKo: '이 작업에 대한 권한이 없습니다.' },
  YEYAK_E_CAPACITY_OUT_OF_RANGE: { status: 409, message: 'Capacity must cover the doses already booked and stay within confirmed supply.', messageKo: '접종 인원은 이미 예약된 수 이상, 확보된 물량 이하로만 정할 수 있습니다.' },
  YEYAK_E_DOSE_NOT_DUE: { status: 409, message: "This dose's day has not come yet (Korea time): record its outcome on that day or later.", messageKo: '아직 접종일이 아닙니다. 접종 결과는 접종일 당일부터 기록할 수 있습니다.' },
  YEYAK_E_DOSE_ALREADY_ADMINISTERED: { status: 409, message: 'This dose is recorded as administered; it cannot become a no-show.', messageKo: '이미 접종 완료로 기록된 접종입니다. 미접종(노쇼)으로 바꿀 수 없습니다.' },
  YEYAK_E_DATE_RANGE_INVALID: { status: 400, message: "'from' must not be after 'to', and a range spans at most 92 days.", messageKo: '조회 기간이 올바르지 않습니다. 시작일은 종료일보다 늦을 수 없고, 최대 92일까지 조회할 수 있습니다.' },
  YEYAK_E_VACCINE_NOT_SUPPLIED: { status: 409, message: 'This clinic has no confirmed supply of that vaccine in this campaign.', messageKo: '이 의료기관에는 해당 사업의 그 백신 물량이 없습니다.' },
  YEYAK_E_LEFTOVER_UNTIL_PAST: { status: 400, message: "'until' must be a time later than now, today in Korea (HH:MM).", messageKo: '마감 시각은 오늘(한국 시간) 지금보다 늦은 시각이어야 합니다.' },
  YEYAK_E_LEFTOVER_NOT_FOUND: { status: 404, message: 'No such leftover release at this clinic.', messageKo: '해당 잔여백신 등록을 찾을 수 없습니다.' },
  YEYAK_E_LEFTOVER_GONE: { status: 409, message: 'These leftover doses are all taken, withdrawn or closed; nothing of yours was changed.', messageKo: '잔여백신이 모두 예약되었거나 마감되었습니다. 기존 예약은 그대로입니다.' },
  YEYAK_E_LEFTOVER_BARRED: { status: 403, message: 'A missed appointment (no-show) in this campaign bars you from booking leftover doses.', messageKo: '이 예약 사업에서 접종 예약에 나오지 않으신 기록(노쇼)이 있어 잔여백신을 예약할 수 없습니다.' },
  YEYAK_E_LEFTOVER_ALREADY_TODAY: { status: 409, message: 'You already took a leftover dose today: one a day.', messageKo: '오늘 이미 잔여백신을 예약하셨습니다. 하루에 한 번만 예약할 수 있습니다.' },
  YEYAK_E_LEFTOVER_DOSE1_GIVEN: { status: 409, message: 'Your first dose of this campaign is already given or past; a leftover dose cannot replace it.', messageKo: '이 예약 사업의 1차 접종일이 이미 지났거나 접종을 마치셔서 잔여백신으로 바꿀 수 없습니다.' },
  YEYAK_E_FAVOURITES_FULL: { status: 409, message: 'You already keep 5 favourite clinics; remove one first.', messageKo: '즐겨찾는 의료기관은 5곳까지입니다. 먼저 한 곳을 빼 주세요.' },
  YEYAK_E_PASS_IN_USE: { status: 409, message: 'This admission pass is being used by another booking request right now; wait for its answer.', messageKo: '이 입장권으로 다른 예약 요청이 처리 중입니다. 결과를 기다려 주세요.' },
  YEYAK_E_TICKET_LAPSED: { status: 409, message: 'Your turn came and passed without being taken up; join the waiting room again (at the back of the line).', messageKo: '입장 순서가 지나 입장하지 않으셨습니다. 대기열에 다시 들어가 주세요(맨 뒤로 배정됩니다).' },
  YEYAK_E_POW_REUSED: { status: 409, message: 'This join challenge answer was already used; get a new challenge.', messageKo: '이미 사용된 접속 확인 답입니다. 새 확인 문제를 받아 주세요.' },
  YEYAK_E_DEVICE_MISMATCH: { status: 403, message: 'This request comes from another device than the one you verified on.', messageKo: '본인인증을 하신 기기와 다른 기기에서 보낸 요청입니다.' },
  YEYAK_E_IDENTITY_MISMATCH: { status: 403, message: 'The resident registration number does not belong to the person the verification vouched for.', messageKo: '입력하신 주민등록번호가 본인인증된 정보와 일치하지 않습니다.' },
  YEYAK_E_CAMPAIGN_CLOSED: { status: 409, message: 'This campaign is not open for booking now; see when it opens.', messageKo: '지금은 예약 기간이 아닙니다. 예약 시작 시각을 확인해 주세요.' },
  YEYAK_E_IDEMPOTENCY_KEY_INVALID: { status: 400, message: 'The Idempotency-Key header must be 8–64 characters of A–Z, a–z, 0–9 and _ . : -', messageKo: 'Idempotency-Key 헤더는 영문·숫자와 _ . : - 로 된 8~64자여야 합니다.' },
  YEYAK_E_HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are too large.', messageKo: '요청 헤더가 너무 큽니다.' },
  YEYAK_E_REQUEST_TIMEOUT: { status: 408, message: 'The request took too long to arrive; send it again.', messageKo: '요청 전송 시간이 초과되었습니다. 다시 시도해 주세요.' },
  YEYAK_E_CAMPAIGN_INVALID: { status: 400, message: 'The campaign definition is not valid; details.errors lists every problem. Nothing was changed.', messageKo: '예약 사업 설정에 잘못된 곳이 있습니다(details.errors에 모두 표시). 아무것도 바뀌지 않았습니다.' },
  YEYAK_E_CAMPAIGN_CHANGE_BLOCKED: { status: 409, message: 'This change conflicts with bookings or capacity that already exist; details.errors says which. Nothing was changed.', messageKo: '이미 있는 예약이나 접종 인원과 맞지 않는 변경입니다(details.errors에 표시). 아무것도 바뀌지 않았습니다.' },
  YEYAK_E_CSV_INVALID: { status: 422, message: 'The file has rows that cannot be imported; details.errors lists each one. Nothing was imported.', messageKo: '가져올 수 없는 행이 있습니다(details.errors에 행마다 표시). 아무것도 가져오지 않았습니다.' },
  YEYAK_E_SUPPLY_INVALID: { status: 422, message: 'Some supply rows cannot be set; details.errors lists each one (row = its place in rows, from 1). Nothing was changed.', messageKo: '설정할 수 없는 물량 행이 있습니다(details.errors에 행마다 표시). 아무것도 바꾸지 않았습니다.' },
  YEYAK_E_SOLD_OUT: { status: 409, message: "This campaign's confirmed vaccine supply is used up: nobody new is let in until doses come back (cancellations or a new delivery).", messageKo: '확보된 백신 물량이 모두 예약되어 대기열 입장을 멈췄습니다. 취소분이나 추가 물량이 생기면 다시 엽니다.' },
  YEYAK_E_RESCHEDULE_PLAN_INVALID: { status: 400, message: 'The dose-2 move plan is not valid; details.errors lists each field and its problem. Nothing was changed.', messageKo: '2차 접종일 일괄 변경 계획에 잘못된 곳이 있습니다(details.errors에 항목마다 표시). 아무것도 바뀌지 않았습니다.' },
  YEYAK_E_RESCHEDULE_JOB_NOT_FOUND: { status: 404, message: 'No such dose-2 move job.', messageKo: '해당 2차 접종일 일괄 변경 작업이 없습니다.' },
  YEYAK_E_RESCHEDULE_JOB_STATE: { status: 409, message: 'The dose-2 move job is not in a state that allows this (pause: queued or running; resume: paused or failed).', messageKo: '지금 상태에서는 할 수 없는 작업입니다(일시 정지: 대기·진행 중일 때, 재개: 일시 정지·실패일 때).' },
  YEYAK_E_OUTBOX_NOT_FOUND: { status: 404, message: 'No such notice in the outbox.', messageKo: '해당 알림이 발송함에 없습니다.' },
  YEYAK_E_OUTBOX_NOT_DEAD: { status: 409, message: 'Only a dead-lettered notice can be retried; details.state says what this one is.', messageKo: '발송 실패(보류)된 알림만 다시 보낼 수 있습니다. details.state에 지금 상태가 있습니다.' },
  YEYAK_E_STORE_UNAVAILABLE: { status: 503, message: 'The database cannot be reached right now; send the same request again in a moment (a booking with the same Idempotency-Key).', messageKo: '일시적으로 데이터베이스에 연결할 수 없습니다. 잠시 후 같은 요청을 다시 보내 주세요.' },
  YEYAK_E_INTERNAL: { status: 500, message: 'Internal error (a bug): it has been logged.', messageKo: '시스템 오류가 발생했습니다.' },
} as const satisfies Record<string, { status: number; message: string; messageKo: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

/** An expected operating error: an answer to the caller, not a bug. */
export class YeyakError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>) {
    super(message ?? errorCatalogue[code].message);
    this.name = 'YeyakError';
    this.code = code;
    this.status = errorCatalogue[code].status;
    this.details = details;
  }
}

export function isYeyakError(e: unknown): e is YeyakError {
  return e instanceof YeyakError;
}

/** A broken invariant: a programmer error. Crash loudly rather than serve wrong data. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`invariant violated: ${message}`);
}
