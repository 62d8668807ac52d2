/**
 * The regions of Korea as they stood in August 2021: the 17 시/도 (level 1) and their 시/군/구
 * (level 2), with the 행정표준코드 (the first 2 and 5 digits of the 법정동 code). Cities that
 * have 일반구 (수원시 장안구 …) are listed by their 구, so every level-2 region is a leaf
 * where a clinic stands. Codes are those of 2021: 강원도 is 42 and 전라북도 45 (they became
 * 51 강원특별자치도 and 52 전북특별자치도 in 2023–24) and 군위군 is still in 경상북도 (47720).
 */

export interface Sido {
  /** Two digits, e.g. '11'. */
  readonly code: string;
  readonly nameKo: string;
  readonly nameEn: string;
  /** Short form used in names and addresses, e.g. '서울', '경기', '충북'. */
  readonly shortKo: string;
  /** Telephone area code, e.g. '02'. */
  readonly areaCode: string;
  /** Resident population in 2021, millions (rounded): the weight for spreading clinics. */
  readonly populationM: number;
}

export interface Sigungu {
  /** Five digits starting with the parent's two, e.g. '11110'. */
  readonly code: string;
  readonly sidoCode: string;
  readonly nameKo: string;
  readonly nameEn: string;
}

export const SIDO: readonly Sido[] = [
  { code: '11', nameKo: '서울특별시', nameEn: 'Seoul', shortKo: '서울', areaCode: '02', populationM: 9.51 },
  { code: '26', nameKo: '부산광역시', nameEn: 'Busan', shortKo: '부산', areaCode: '051', populationM: 3.35 },
  { code: '27', nameKo: '대구광역시', nameEn: 'Daegu', shortKo: '대구', areaCode: '053', populationM: 2.39 },
  { code: '28', nameKo: '인천광역시', nameEn: 'Incheon', shortKo: '인천', areaCode: '032', populationM: 2.95 },
  { code: '29', nameKo: '광주광역시', nameEn: 'Gwangju', shortKo: '광주', areaCode: '062', populationM: 1.44 },
  { code: '30', nameKo: '대전광역시', nameEn: 'Daejeon', shortKo: '대전', areaCode: '042', populationM: 1.45 },
  { code: '31', nameKo: '울산광역시', nameEn: 'Ulsan', shortKo: '울산', areaCode: '052', populationM: 1.12 },
  { code: '36', nameKo: '세종특별자치시', nameEn: 'Sejong', shortKo: '세종', areaCode: '044', populationM: 0.37 },
  { code: '41', nameKo: '경기도', nameEn: 'Gyeonggi-do', shortKo: '경기', areaCode: '031', populationM: 13.57 },
  { code: '42', nameKo: '강원도', nameEn: 'Gangwon-do', shortKo: '강원', areaCode: '033', populationM: 1.54 },
  { code: '43', nameKo: '충청북도', nameEn: 'Chungcheongbuk-do', shortKo: '충북', areaCode: '043', populationM: 1.6 },
  { code: '44', nameKo: '충청남도', nameEn: 'Chungcheongnam-do', shortKo: '충남', areaCode: '041', populationM: 2.12 },
  { code: '45', nameKo: '전라북도', nameEn: 'Jeollabuk-do', shortKo: '전북', areaCode: '063', populationM: 1.79 },
  { code: '46', nameKo: '전라남도', nameEn: 'Jeollanam-do', shortKo: '전남', areaCode: '061', populationM: 1.83 },
  { code: '47', nameKo: '경상북도', nameEn: 'Gyeongsangbuk-do', shortKo: '경북', areaCode: '054', populationM: 2.63 },
  { code: '48', nameKo: '경상남도', nameEn: 'Gyeongsangnam-do', shortKo: '경남', areaCode: '055', populationM: 3.31 },
  { code: '50', nameKo: '제주특별자치도', nameEn: 'Jeju', shortKo: '제주', areaCode: '064', populationM: 0.68 },
];

// [code, name_ko, name_en]; the parent is the code's first two digits.
type Row = readonly [string, string, string];

const SIGUNGU_ROWS: readonly Row[] = [
  // 11 서울특별시
  ['11110', '종로구', 'Jongno-gu'],
  ['11140', '중구', 'Jung-gu'],
  ['11170', '용산구', 'Yongsan-gu'],
  ['11200', '성동구', 'Seongdong-gu'],
  ['11215', '광진구', 'Gwangjin-gu'],
  ['11230', '동대문구', 'Dongdaemun-gu'],
  ['11260', '중랑구', 'Jungnang-gu'],
  ['11290', '성북구', 'Seongbuk-gu'],
  ['11305', '강북구', 'Gangbuk-gu'],
  ['11320', '도봉구', 'Dobong-gu'],
  ['11350', '노원구', 'Nowon-gu'],
  ['11380', '은평구', 'Eunpyeong-gu'],
  ['11410', '서대문구', 'Seodaemun-gu'],
  ['11440', '마포구', 'Mapo-gu'],
  ['11470', '양천구', 'Yangcheon-gu'],
  ['11500', '강서구', 'Gangseo-gu'],
  ['11530', '구로구', 'Guro-gu'],
  ['11545', '금천구', 'Geumcheon-gu'],
  ['11560', '영등포구', 'Yeongdeungpo-gu'],
  ['11590', '동작구', 'Dongjak-gu'],
  ['11620', '관악구', 'Gwanak-gu'],
  ['11650', '서초구', 'Seocho-gu'],
  ['11680', '강남구', 'Gangnam-gu'],
  ['11710', '송파구', 'Songpa-gu'],
  ['11740', '강동구', 'Gangdong-gu'],
  // 26 부산광역시
  ['26110', '중구', 'Jung-gu'],
  ['26140', '서구', 'Seo-gu'],
  ['26170', '동구', 'Dong-gu'],
  ['26200', '영도구', 'Yeongdo-gu'],
  ['26230', '부산진구', 'Busanjin-gu'],
  ['26260', '동래구', 'Dongnae-gu'],
  ['26290', '남구', 'Nam-gu'],
  ['26320', '북구', 'Buk-gu'],
  ['26350', '해운대구', 'Haeundae-gu'],
  ['26380', '사하구', 'Saha-gu'],
  ['26410', '금정구', 'Geumjeong-gu'],
  ['26440', '강서구', 'Gangseo-gu'],
  ['26470', '연제구', 'Yeonje-gu'],
  ['26500', '수영구', 'Suyeong-gu'],
  ['26530', '사상구', 'Sasang-gu'],
  ['26710', '기장군', 'Gijang-gun'],
  // 27 대구광역시
  ['27110', '중구', 'Jung-gu'],
  ['27140', '동구', 'Dong-gu'],
  ['27170', '서구', 'Seo-gu'],
  ['27200', '남구', 'Nam-gu'],
  ['27230', '북구', 'Buk-gu'],
  ['27260', '수성구', 'Suseong-gu'],
  ['27290', '달서구', 'Dalseo-gu'],
  ['27710', '달성군', 'Dalseong-gun'],
  // 28 인천광역시
  ['28110', '중구', 'Jung-gu'],
  ['28140', '동구', 'Dong-gu'],
  ['28177', '미추홀구', 'Michuhol-gu'],
  ['28185', '연수구', 'Yeonsu-gu'],
  ['28200', '남동구', 'Namdong-gu'],
  ['28237', '부평구', 'Bupyeong-gu'],
  ['28245', '계양구', 'Gyeyang-gu'],
  ['28260', '서구', 'Seo-gu'],
  ['28710', '강화군', 'Ganghwa-gun'],
  ['28720', '옹진군', 'Ongjin-gun'],
  // 29 광주광역시
  ['29110', '동구', 'Dong-gu'],
  ['29140', '서구', 'Seo-gu'],
  ['29155', '남구', 'Nam-gu'],
  ['29170', '북구', 'Buk-gu'],
  ['29200', '광산구', 'Gwangsan-gu'],
  // 30 대전광역시
  ['30110', '동구', 'Dong-gu'],
  ['30140', '중구', 'Jung-gu'],
  ['30170', '서구', 'Seo-gu'],
  ['30200', '유성구', 'Yuseong-gu'],
  ['30230', '대덕구', 'Daedeok-gu'],
  // 31 울산광역시
  ['31110', '중구', 'Jung-gu'],
  ['31140', '남구', 'Nam-gu'],
  ['31170', '동구', 'Dong-gu'],
  ['31200', '북구', 'Buk-gu'],
  ['31710', '울주군', 'Ulju-gun'],
  // 36 세종특별자치시 (a single-tier city: its only level-2 region is itself)
  ['36110', '세종시', 'Sejong-si'],
  // 41 경기도
  ['41111', '수원시 장안구', 'Jangan-gu, Suwon-si'],
  ['41113', '수원시 권선구', 'Gwonseon-gu, Suwon-si'],
  ['41115', '수원시 팔달구', 'Paldal-gu, Suwon-si'],
  ['41117', '수원시 영통구', 'Yeongtong-gu, Suwon-si'],
  ['41131', '성남시 수정구', 'Sujeong-gu, Seongnam-si'],
  ['41133', '성남시 중원구', 'Jungwon-gu, Seongnam-si'],
  ['41135', '성남시 분당구', 'Bundang-gu, Seongnam-si'],
  ['41150', '의정부시', 'Uijeongbu-si'],
  ['41171', '안양시 만안구', 'Manan-gu, Anyang-si'],
  ['41173', '안양시 동안구', 'Dongan-gu, Anyang-si'],
  ['41190', '부천시', 'Bucheon-si'],
  ['41210', '광명시', 'Gwangmyeong-si'],
  ['41220', '평택시', 'Pyeongtaek-si'],
  ['41250', '동두천시', 'Dongducheon-si'],
  ['41271', '안산시 상록구', 'Sangnok-gu, Ansan-si'],
  ['41273', '안산시 단원구', 'Danwon-gu, Ansan-si'],
  ['41281', '고양시 덕양구', 'Deogyang-gu, Goyang-si'],
  ['41285', '고양시 일산동구', 'Ilsandong-gu, Goyang-si'],
  ['41287', '고양시 일산서구', 'Ilsanseo-gu, Goyang-si'],
  ['41290', '과천시', 'Gwacheon-si'],
  ['41310', '구리시', 'Guri-si'],
  ['41360', '남양주시', 'Namyangju-si'],
  ['41370', '오산시', 'Osan-si'],
  ['41390', '시흥시', 'Siheung-si'],
  ['41410', '군포시', 'Gunpo-si'],
  ['41430', '의왕시', 'Uiwang-si'],
  ['41450', '하남시', 'Hanam-si'],
  ['41461', '용인시 처인구', 'Cheoin-gu, Yongin-si'],
  ['41463', '용인시 기흥구', 'Giheung-gu, Yongin-si'],
  ['41465', '용인시 수지구', 'Suji-gu, Yongin-si'],
  ['41480', '파주시', 'Paju-si'],
  ['41500', '이천시', 'Icheon-si'],
  ['41550', '안성시', 'Anseong-si'],
  ['41570', '김포시', 'Gimpo-si'],
  ['41590', '화성시', 'Hwaseong-si'],
  ['41610', '광주시', 'Gwangju-si'],
  ['41630', '양주시', 'Yangju-si'],
  ['41650', '포천시', 'Pocheon-si'],
  ['41670', '여주시', 'Yeoju-si'],
  ['41800', '연천군', 'Yeoncheon-gun'],
  ['41820', '가평군', 'Gapyeong-gun'],
  ['41830', '양평군', 'Yangpyeong-gun'],
  // 42 강원도
  ['42110', '춘천시', 'Chuncheon-si'],
  ['42130', '원주시', 'Wonju-si'],
  ['42150', '강릉시', 'Gangneung-si'],
  ['42170', '동해시', 'Donghae-si'],
  ['42190', '태백시', 'Taebaek-si'],
  ['42210', '속초시', 'Sokcho-si'],
  ['42230', '삼척시', 'Samcheok-si'],
  ['42720', '홍천군', 'Hongcheon-gun'],
  ['42730', '횡성군', 'Hoengseong-gun'],
  ['42750', '영월군', 'Yeongwol-gun'],
  ['42760', '평창군', 'Pyeongchang-gun'],
  ['42770', '정선군', 'Jeongseon-gun'],
  ['42780', '철원군', 'Cheorwon-gun'],
  ['42790', '화천군', 'Hwacheon-gun'],
  ['42800', '양구군', 'Yanggu-gun'],
  ['42810', '인제군', 'Inje-gun'],
  ['42820', '고성군', 'Goseong-gun'],
  ['42830', '양양군', 'Yangyang-gun'],
  // 43 충청북도
  ['43111', '청주시 상당구', 'Sangdang-gu, Cheongju-si'],
  ['43112', '청주시 서원구', 'Seowon-gu, Cheongju-si'],
  ['43113', '청주시 흥덕구', 'Heungdeok-gu, Cheongju-si'],
  ['43114', '청주시 청원구', 'Cheongwon-gu, Cheongju-si'],
  ['43130', '충주시', 'Chungju-si'],
  ['43150', '제천시', 'Jecheon-si'],
  ['43720', '보은군', 'Boeun-gun'],
  ['43730', '옥천군', 'Okcheon-gun'],
  ['43740', '영동군', 'Yeongdong-gun'],
  ['43745', '증평군', 'Jeungpyeong-gun'],
  ['43750', '진천군', 'Jincheon-gun'],
  ['43760', '괴산군', 'Goesan-gun'],
  ['43770', '음성군', 'Eumseong-gun'],
  ['43800', '단양군', 'Danyang-gun'],
  // 44 충청남도
  ['44131', '천안시 동남구', 'Dongnam-gu, Cheonan-si'],
  ['44133', '천안시 서북구', 'Seobuk-gu, Cheonan-si'],
  ['44150', '공주시', 'Gongju-si'],
  ['44180', '보령시', 'Boryeong-si'],
  ['44200', '아산시', 'Asan-si'],
  ['44210', '서산시', 'Seosan-si'],
  ['44230', '논산시', 'Nonsan-si'],
  ['44250', '계룡시', 'Gyeryong-si'],
  ['44270', '당진시', 'Dangjin-si'],
  ['44710', '금산군', 'Geumsan-gun'],
  ['44760', '부여군', 'Buyeo-gun'],
  ['44770', '서천군', 'Seocheon-gun'],
  ['44790', '청양군', 'Cheongyang-gun'],
  ['44800', '홍성군', 'Hongseong-gun'],
  ['44810', '예산군', 'Yesan-gun'],
  ['44825', '태안군', 'Taean-gun'],
  // 45 전라북도
  ['45111', '전주시 완산구', 'Wansan-gu, Jeonju-si'],
  ['45113', '전주시 덕진구', 'Deokjin-gu, Jeonju-si'],
  ['45130', '군산시', 'Gunsan-si'],
  ['45140', '익산시', 'Iksan-si'],
  ['45180', '정읍시', 'Jeongeup-si'],
  ['45190', '남원시', 'Namwon-si'],
  ['45210', '김제시', 'Gimje-si'],
  ['45710', '완주군', 'Wanju-gun'],
  ['45720', '진안군', 'Jinan-gun'],
  ['45730', '무주군', 'Muju-gun'],
  ['45740', '장수군', 'Jangsu-gun'],
  ['45750', '임실군', 'Imsil-gun'],
  ['45770', '순창군', 'Sunchang-gun'],
  ['45790', '고창군', 'Gochang-gun'],
  ['45800', '부안군', 'Buan-gun'],
  // 46 전라남도
  ['46110', '목포시', 'Mokpo-si'],
  ['46130', '여수시', 'Yeosu-si'],
  ['46150', '순천시', 'Suncheon-si'],
  ['46170', '나주시', 'Naju-si'],
  ['46230', '광양시', 'Gwangyang-si'],
  ['46710', '담양군', 'Damyang-gun'],
  ['46720', '곡성군', 'Gokseong-gun'],
  ['46730', '구례군', 'Gurye-gun'],
  ['46770', '고흥군', 'Goheung-gun'],
  ['46780', '보성군', 'Boseong-gun'],
  ['46790', '화순군', 'Hwasun-gun'],
  ['46800', '장흥군', 'Jangheung-gun'],
  ['46810', '강진군', 'Gangjin-gun'],
  ['46820', '해남군', 'Haenam-gun'],
  ['46830', '영암군', 'Yeongam-gun'],
  ['46840', '무안군', 'Muan-gun'],
  ['46860', '함평군', 'Hampyeong-gun'],
  ['46870', '영광군', 'Yeonggwang-gun'],
  ['46880', '장성군', 'Jangseong-gun'],
  ['46890', '완도군', 'Wando-gun'],
  ['46900', '진도군', 'Jindo-gun'],
  ['46910', '신안군', 'Sinan-gun'],
  // 47 경상북도
  ['47111', '포항시 남구', 'Nam-gu, Pohang-si'],
  ['47113', '포항시 북구', 'Buk-gu, Pohang-si'],
  ['47130', '경주시', 'Gyeongju-si'],
  ['47150', '김천시', 'Gimcheon-si'],
  ['47170', '안동시', 'Andong-si'],
  ['47190', '구미시', 'Gumi-si'],
  ['47210', '영주시', 'Yeongju-si'],
  ['47230', '영천시', 'Yeongcheon-si'],
  ['47250', '상주시', 'Sangju-si'],
  ['47280', '문경시', 'Mungyeong-si'],
  ['47290', '경산시', 'Gyeongsan-si'],
  ['47720', '군위군', 'Gunwi-gun'],
  ['47730', '의성군', 'Uiseong-gun'],
  ['47750', '청송군', 'Cheongsong-gun'],
  ['47760', '영양군', 'Yeongyang-gun'],
  ['47770', '영덕군', 'Yeongdeok-gun'],
  ['47820', '청도군', 'Cheongdo-gun'],
  ['47830', '고령군', 'Goryeong-gun'],
  ['47840', '성주군', 'Seongju-gun'],
  ['47850', '칠곡군', 'Chilgok-gun'],
  ['47900', '예천군', 'Yecheon-gun'],
  ['47920', '봉화군', 'Bonghwa-gun'],
  ['47930', '울진군', 'Uljin-gun'],
  ['47940', '울릉군', 'Ulleung-gun'],
  // 48 경상남도
  ['48121', '창원시 의창구', 'Uichang-gu, Changwon-si'],
  ['48123', '창원시 성산구', 'Seongsan-gu, Changwon-si'],
  ['48125', '창원시 마산합포구', 'Masanhappo-gu, Changwon-si'],
  ['48127', '창원시 마산회원구', 'Masanhoewon-gu, Changwon-si'],
  ['48129', '창원시 진해구', 'Jinhae-gu, Changwon-si'],
  ['48170', '진주시', 'Jinju-si'],
  ['48220', '통영시', 'Tongyeong-si'],
  ['48240', '사천시', 'Sacheon-si'],
  ['48250', '김해시', 'Gimhae-si'],
  ['48270', '밀양시', 'Miryang-si'],
  ['48310', '거제시', 'Geoje-si'],
  ['48330', '양산시', 'Yangsan-si'],
  ['48720', '의령군', 'Uiryeong-gun'],
  ['48730', '함안군', 'Haman-gun'],
  ['48740', '창녕군', 'Changnyeong-gun'],
  ['48820', '고성군', 'Goseong-gun'],
  ['48840', '남해군', 'Namhae-gun'],
  ['48850', '하동군', 'Hadong-gun'],
  ['48860', '산청군', 'Sancheong-gun'],
  ['48870', '함양군', 'Hamyang-gun'],
  ['48880', '거창군', 'Geochang-gun'],
  ['48890', '합천군', 'Hapcheon-gun'],
  // 50 제주특별자치도
  ['50110', '제주시', 'Jeju-si'],
  ['50130', '서귀포시', 'Seogwipo-si'],
];

export const SIGUNGU: readonly Sigungu[] = SIGUNGU_ROWS.map(([code, nameKo, nameEn]) => ({
  code,
  sidoCode: code.slice(0, 2),
  nameKo,
  nameEn,
}));

/** A region as stored (table `region`): level 1 (시/도) rows first, then level 2 (시/군/구). */
export interface RegionRow {
  readonly code: string;
  readonly parentCode: string | null;
  readonly level: 1 | 2;
  readonly nameKo: string;
  readonly nameEn: string;
}

export const REGIONS: readonly RegionRow[] = [
  ...SIDO.map((s) => ({ code: s.code, parentCode: null, level: 1 as const, nameKo: s.nameKo, nameEn: s.nameEn })),
  ...SIGUNGU.map((g) => ({ code: g.code, parentCode: g.sidoCode, level: 2 as const, nameKo: g.nameKo, nameEn: g.nameEn })),
];

const SIDO_BY_CODE: ReadonlyMap<string, Sido> = new Map(SIDO.map((s) => [s.code, s]));

export function sidoByCode(code: string): Sido {
  const sido = SIDO_BY_CODE.get(code);
  if (!sido) throw new RangeError(`unknown 시/도 code: ${code}`);
  return sido;
}

/** The 시/군/구 of one 시/도, in code order. */
export function sigunguOf(sidoCode: string): Sigungu[] {
  return SIGUNGU.filter((g) => g.sidoCode === sidoCode);
}
