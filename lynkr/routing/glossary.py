"""English glosses for the cue words of requests written in other languages.

Why: the dimension rules are English patterns, so "добавь флаг --dry-run", "escríbeme un
Dockerfile" or "本番のユーザーデータを移行" score as if they asked for nothing, and blind
batches of other-language requests were routed mostly too low. Rather than a second copy of
every rule per language, :func:`gloss` finds the cue words of the common languages of our
traffic and answers the English words the rules already know ("add", "write", "production",
"migration"), one per line, which :mod:`lynkr.routing.features` appends to the task's prose.
The n-grams and word embedding of the learned stage read the same glossed text, so what they
learned from English requests carries over.

Matching is on accent-folded, lower-cased text (users often type "migracion" for "migración").
A stem ending in ``*`` matches any word that starts with it; any other stem matches whole words
only; the words of a multi-word stem are written joined by ``_``. Stems in scripts written
without spaces (Chinese, Japanese, Korean) match anywhere. No stem is an English word, so
English text gets no gloss.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# English gloss -> stems, roughly in this order of languages:
# es pt fr de it nl pl ru uk tr vi id hi(latin) zh ja ko ar.
_CUES: dict[str, str] = {
    "implement": "implementa implementar implementame implemente implementez implementier* "
                 "implementeer* zaimplementuj* implementuj* реализ* имплемент* реаліз* uygula* "
                 "hien_thuc implementasi* 实现 実装 구현 تنفيذ نفذ طبق",
    "add": "anade* agrega* anadir* agregar* adiciona* adicione* acrescent* ajoute* ajouter* "
           "hinzufug* erganz* fuge aggiungi* aggiunge* voeg toevoeg* dodaj* добав* дода* ekle* "
           "them_vao tambah* tambahkan jodo jod 添加 加上 加一个 增加 追加 추가 أضف اضف إضافة "
           "اضافة",
    "write": "escrib* escreve* escrever* escreva* ecris* ecrire* schreib* scrivi* scrivere* "
             "schrijf* napisz* напиш* пиши написать tulis* likho likh bana_do banao bana_de 写 "
             "書い 書く 書いて 작성 써줘 اكتب",
    "fix": "arregla* corrige* corrija* corrigir* conserta* repare* reparer* behebe* beheb* "
           "korrigier* repari* correggi* herstel* repareer* napraw* popraw* исправ* почин* "
           "виправ* duzelt* perbaiki* sua_loi sua_lai sua_giup fais_passer haz_que_pasen 修复 "
           "修一下 修正 改一下 修改 直して 直し 直せ 고쳐 أصلح اصلح إصلاح",
    "explain how": "explica* explique* expliquer* erklar* spiega* spiegami uitleg* wyjasnij* "
                   "wytlumacz* объясн* поясн* acikla* giai_thich jelaskan* samjha* 解释 讲解 "
                   "説明 解説 설명 اشرح شرح",
    "why": "por_que warum wieso weshalb pourquoi perche waarom dlaczego czemu почему зачем чому "
           "neden niye tai_sao vi_sao kenapa mengapa kyun kyu 为什么 为何 なぜ どうして 왜 لماذا "
           "ليش",
    "should we": "deberiamos conviene devemos deveriamos faut-il devrions sollten sollen "
                 "dovremmo moeten zouden powinnismy powinnam powinienem стоит варто yoksa nen "
                 "sebaiknya haruskah chahiye 应该 要不要 还是 べき それとも 해야 아니면",
    "trade-offs": "desventaja* contras compensaciones vantagens desvantagens inconvenient* "
                  "compromis nachteile abwagung* pro_e_contro compromess* nadelen afweging* wady "
                  "zalety kompromis* плюсы минусы компромисс* плюси мінуси dezavantaj* nhuoc "
                  "danh_doi kekurangan 权衡 利弊 优缺点 トレードオフ デメリット 長所 短所 장단점 "
                  "트레이드오프 المزايا العيوب سلبيات",
    "architecture": "arquitectura* arquitetura* architektur* architettura* architectuur* "
                    "architektury архитектур* архітектур* mimari* kien_truc arsitektur* 架构 "
                    "アーキテクチャ 아키텍처 معمارية بنية",
    "design": "diseno* disenar* desenho conception concevoir concu concue entwurf* entwerf* "
              "progettazione ontwerp* проектир* проєктув* tasarim* thiet_ke rancang* 设计 設計 "
              "설계 تصميم",
    "race condition": "condicion_de_carrera condicao_de_corrida condition_de_course wettlauf* "
                      "wyscig* гонк* yaris_durumu tranh_chap 竞态 竞争条件 競合 "
                      "レースコンディション 경쟁 레이스 سباق تسابق",
    "deadlock": "interbloqueo interblocage deadlocken deadlockt verklemmung* stallo zakleszcz* "
                "взаимоблок* дедлок* взаємоблок* kilitlenme* 死锁 デッドロック 교착 데드락 جمود",
    "concurrency": "concurrencia concorrencia concurrence nebenlaufig* concorrenza wspolbieznos* "
                   "конкурент* параллел* многопоточ* паралел* eszamanli* dong_thoi konkurensi "
                   "并发 多线程 並行 並列 マルチスレッド 동시성 تزامن",
    "production": "produccion producao produktion produktiv* produzione productie produkcj* прод "
                  "продакшн* продакшен* боевой продакшні canli uretim* produksi 生产 线上 本番 "
                  "운영 프로덕션 상용 الإنتاج انتاج الانتاج",
    "migrate migration": "migracion* migrar* migracao* migrer migrieren migrazion* migrare "
                         "migratie* migracj* миграц* мигрир* міграц* migrasyon* tasima* "
                         "di_chuyen migrasi* 迁移 移行 マイグレーション 마이그레이션 ترحيل",
    "payment billing": "pago* pagos cobro* factura* pagamento* cobranca* fatura* boleto* "
                       "paiement* facturation facture* zahlung* rechnung* abrechnung* pagament* "
                       "fattur* betaling* factur* platnos* faktur* платеж* платёж* оплат* "
                       "биллинг* платіж* odeme* thanh_toan hoa_don pembayaran* tagihan* 支付 "
                       "付款 账单 计费 发票 決済 支払 請求 결제 청구 과금 الدفع دفع فاتورة "
                       "فواتير",
    "security": "seguridad seguranca securite sicherheit* sicurezza beveiliging* bezpieczenst* "
                "безопасн* уязвим* безпек* вразлив* guvenlik* bao_mat keamanan 安全 漏洞 "
                "セキュリティ 脆弱性 보안 취약점 الأمان أمن ثغرة",
    "auth": "autenticacion autorizacion autenticacao autorizacao authentification "
            "authentifizier* anmeldung* autenticazione uwierzyteln* logowani* авториз* аутентиф* "
            "автентиф* kimlik xac_thuc dang_nhap autentikasi otentikasi 认证 鉴权 登录 授权 認証 "
            "ログイン 認可 인증 로그인 المصادقة",
    "password": "contrasena* senha* passwort* haslo* hasla парол* sifre* mat_khau kata_sandi "
                "密码 パスワード 비밀번호 كلمة_المرور كلمة_السر",
    "delete": "borrar* borra eliminar* elimina apagar* apaga excluir* exclui deletar* supprim* "
              "losch* entfern* cancella* eliminare verwijder* usun* skasuj* удал* видал* sil "
              "silen silinecek xoa hapus* 删除 删掉 削除 삭제 지워 지우 حذف احذف يحذف",
    "data loss": "perdida_de_datos perda_de_dados perte_de_donnees datenverlust* perdita_di_dati "
                 "utrata_danych потеря_данных потери_данных втрата_даних veri_kaybi mat_du_lieu "
                 "kehilangan_data 数据丢失 丢数据 データ損失 데이터 손실 فقدان",
    "permissions": "permisos permissoes droits berechtigung* permessi uprawnien* права_доступа "
                   "прав_доступа yetki* quyen hak_akses 权限 権限 권한 الصلاحيات صلاحيات",
    "deploy": "despliegue* desplegar* implantacao deploiement* deployez bereitstell* ausroll* "
              "rilascio wdroz* деплой* разверт* развёрт* выкат* розгорт* dagitim* yayina 部署 "
              "上线 发布 デプロイ リリース 배포 نشر",
    "backup rollback": "respaldo* reverter revertir sauvegarde* sicherung* бэкап* резервн* "
                       "откат* yedek* 备份 回滚 バックアップ ロールバック 백업 롤백 احتياطي",
    "review": "revisa* revisar* relis* relecture revue uberpruf* durchsehen pruf* rivedi* "
              "revisiona* controlla nakijken przejrzyj* sprawdz* ревью провер* посмотри* "
              "перевір* incele* gozden xem_lai periksa* tinjau* 审查 评审 审一下 检查 レビュー "
              "確認して 리뷰 검토 راجع مراجعة",
    "analyze investigate root cause": "analiza* analise* analisa* analyser analysez analysier* "
                                      "untersuch* ursache* herausfind* analizz* indaga* "
                                      "onderzoek* oorzaak* uitzoek* przeanalizuj* zbadaj* "
                                      "przyczyn* анализ* проанализ* разбер* выясн* причин* "
                                      "проаналіз* з'ясу* arastir* kok_neden phan_tich "
                                      "nguyen_nhan dieu_tra analisis* selidiki* penyebab* "
                                      "averigua* investiga investigar investigue descobr* causa "
                                      "racine enquete 分析 排查 调查 根因 原因 定位 調査 調べ "
                                      "분석 조사 원인 حلل تحليل السبب",
    "sometimes intermittent": "a_veces intermitente* as_vezes parfois manchmal sporadisch* "
                              "gelegentlich* ab_und_zu a_volte ogni_tanto soms czasami czasem "
                              "sporadycz* иногда периодическ* плавающ* іноді часом інколи bazen "
                              "thinh_thoang doi_khi kadang* terkadang kabhi_kabhi 偶尔 有时 "
                              "时不时 间歇 偶发 不稳定 時々 たまに 間欠 ときどき 가끔 간헐 "
                              "أحيانا احيانا متقطع",
    "slow latency": "lento lenta lentitud lentidao lenteur langsam* lentezza traag wolno wolne "
                    "медленн* тормоз* повільн* yavas* cham lambat lemot 慢 延迟 卡顿 遅い 遅く "
                    "느려 느림 지연 بطيء بطء",
    "performance": "rendimiento desempenho leistung* prestazion* wydajnos* производительн* "
                   "продуктивн* performans hieu_nang performa 性能 パフォーマンス 성능 أداء",
    "memory leak": "fuga_de_memoria vazamento_de_memoria fuite_memoire fuite_de_memoire "
                   "speicherleck* wyciek* утечк* витік* sizinti* ro_ri kebocoran 内存泄漏 "
                   "内存泄露 メモリリーク 누수 تسرب",
    "refactor rewrite": "refacto refactoriz* refator* restructur* refaktorier* rifattorizz* "
                        "herstructur* refaktor* przepisz* рефактор* перепиш* перепис* "
                        "tai_cau_truc viet_lai tulis_ulang 重构 重写 リファクタ 書き直 書き換 "
                        "리팩터 리팩토링 재작성 هيكلة",
    "rename": "renombra* renomeie* renomear* renomme* renommer* umbenenn* rinomina* hernoem* "
              "przemianuj* переимен* перейменуй* перейменува* doi_ten 重命名 改名 リネーム "
              "이름을 تسمية",
    "typo": "ortografia erro_de_digitacao faute_de_frappe coquille tippfehler* rechtschreib* "
            "refuso battitura typfout* spelfout* literowk* опечатк* одрук* yazim_hatasi chinh_ta "
            "salah_ketik 拼写 错别字 笔误 タイポ 誤字 스펠 오타 إملائي",
    "what is": "que_es o_que_e qu'est-ce was_ist cos'e wat_is co_to что_такое що_таке nedir "
               "la_gi apa_itu kya_hai 是什么 什么是 とは 뭐야 무엇 ما_هو ما_هي",
    "which version": "versao versione wersj* версия* версі* surum* phien_ban versi 版本 "
                     "バージョン 버전 إصدار",
    "how many": "cuantos cuantas quantos quantas combien wie_viele quanti quante hoeveel сколько "
                "скільки kac_tane bao_nhieu berapa kitne 多少 いくつ 몇 كم",
    "tests": "pruebas testes testy testfall* тест тесты тестов тести kiem_thu pengujian 测试 "
             "单测 テスト 테스트 اختبار اختبارات",
    "function": "funcion funcao fonction funktion funzione functie funkcj* функци* функці* "
                "fonksiyon* fungsi 函数 関数 함수 دالة الدالة",
    "component": "componente composant komponente komponent* компонент* bilesen* 组件 "
                 "コンポーネント 컴포넌트 مكون",
    "query": "consulta requete abfrage* zapytani* запрос* запит* sorgu* truy_van kueri 查询 "
             "クエリ 쿼리 استعلام",
    "form": "formulario formulaire formular* форма форму формы 表单 フォーム 폼 نموذج",
    "endpoint": "接口 エンドポイント 엔드포인트",
    "across all files": "todos_los_archivos todo_el_proyecto todos_os_arquivos tous_les_fichiers "
                        "tout_le_projet alle_dateien ganze tutti_i_file alle_bestanden wszystkie "
                        "cały_projekt все_файлы весь_проект по_всему всі_файли весь_проєкт "
                        "tum_dosyalar butun tat_ca toan_bo semua seluruh 所有文件 整个项目 "
                        "全项目 全ファイル プロジェクト全体 すべての 모든 전체 جميع",
    "keep going until tests pass": "hasta_que_pasen ate_passar jusqu'a bis_alle finche dopoki "
                                   "пока_тесты пока_не поки_тести gecene_kadar cho_den_khi "
                                   "sampai 直到 通るまで 때까지 حتى",
    "step by step plan": "paso_a_paso passo_a_passo etape_par_etape schritt_fur_schritt "
                         "krok_po_kroku пошагов* покроков* adim_adim tung_buoc langkah 一步一步 "
                         "逐步 计划 方案 首先 ステップ 計画 まず 단계 계획 먼저 خطوة خطة",
    "think hard": "piensa_bien pensalo_bien pense_bem pensa_bem reflechis_bien denk_grundlich "
                  "pensaci_bene przemysl хорошенько тщательно 仔细想 认真想 深入思考 好好想 "
                  "よく考えて じっくり 깊이_생각",
    "quick question": "pregunta_rapida rapidito pergunta_rapida rapidinho question_rapide "
                      "petite_question kurze_frage domanda_veloce domanda_rapida korte_vraag "
                      "szybkie_pytanie krotkie_pytanie быстрый_вопрос короткий_вопрос вопросик "
                      "швидке_питання kisa_bir_soru hoi_nhanh pertanyaan_singkat chhota_sa_sawal "
                      "快速问一下 简单问一下 小问题 ちょっと質問 簡単な質問 간단한_질문 "
                      "سؤال_سريع",
    "prove correctness invariant": "demuestra* demostrar* invariante* comprova* prouve* prouver "
                                   "demontre* beweis* korrektheit dimostra* correttezza "
                                   "udowodnij* niezmiennik* poprawnos* докаж* инвариант* "
                                   "корректност* довед* інваріант* kanitla* ispatla* chung_minh "
                                   "buktikan 证明 不变量 正确性 証明 不変条件 증명 불변 أثبت "
                                   "برهان",
    "consistency distributed": "consistencia* konsistenz* consistenza spojnos* консистентн* "
                               "согласованн* распределен* узгоджен* розподілен* tutarlilik* "
                               "dagitik* nhat_quan phan_tan konsistensi terdistribusi 一致性 "
                               "分布式 整合性 一貫性 分散 일관성 분산 الاتساق موزع",
    "scalability sharding": "escalab* escalar escalabilidade scalabilit* skalier* skalowan* "
                            "масштаб* olcekl* mo_rong skalabilitas 扩展 扩容 分片 スケール "
                            "シャーディング 확장 샤딩 توسع",
    "encrypt": "cifrad* cifrar* criptograf* chiffr* verschlussel* crittograf* szyfr* шифр* "
               "sifrele* ma_hoa enkripsi 加密 暗号 암호 تشفير",
    "zero-downtime": "sin_tiempo_de_inactividad sem_downtime sans_interruption ohne_ausfallzeit "
                     "без_простоя без_даунтайма kesintisiz 零停机 不停机 ダウンタイムなし 무중단",
    "pii gdpr": "datos_personales dados_pessoais lgpd donnees_personnelles personenbezogen* "
                "dati_personali dane_osobowe персональн* персональні kvkk kisisel "
                "du_lieu_ca_nhan data_pribadi 个人信息 個人情報 개인정보 البيانات_الشخصية",
    "how do i": "como_hago como_puedo como_faco como_posso comment_faire comment_je wie_kann_ich "
                "wie_mache_ich come_faccio come_posso hoe_kan_ik jak_mam как_сделать как_мне "
                "як_зробити як_мені nasil lam_sao bagaimana kaise 怎么 如何 どうやって "
                "どうすれば 어떻게 كيف",
    "what does this": "que_hace o_que_faz que_fait was_macht cosa_fa wat_doet co_robi что_делает "
                      "що_робить ne_yapar lam_gi apa_fungsi kya_karta 做什么 何をして 뭘_하는",
    "find out why": "finde_raus woran herausfinden averigua* descubra* trouve_pourquoi scopri "
                    "dowiedz* выясни* з'ясуй* bul 查一下 查查 找出 找原因 突き止め 찾아",
    "audit": "auditar auditer audytuj* аудит* denetle* 审计 監査 감사",
    "decide": "decidir decidere entscheiden zdecydowac решить вирішити karar quyet_dinh "
              "memutuskan 决定 決め 결정",
    "justify": "motiva justifica justifique justifie begrunde* uzasadnij* обоснуй* обґрунтуй* "
               "gerekcelendir* 理由 근거",
    "update": "actualiza* atualiz* mettre_a_jour mets_a_jour aktualisier* aggiorna* bijwerken "
              "werk_bij zaktualizuj* обнови* обновить онови* guncelle* cap_nhat perbarui* 更新 "
              "업데이트 تحديث",
    "change": "cambia cambiar muda mudar altera alterar modifie modifier wijzig* zmien* измени* "
              "поменяй* змін* degistir* ubah ganti badlo 改成 変更 변경 바꿔",
    "crashes": "crasht crashea se_cae plante sturzt_ab si_blocca вылетает крашится cokuyor 崩溃 "
               "闪退 クラッシュ 크래시",
    "list": "lista enumera liste auflisten elenca opsommen wypisz перечисли перелічи listele "
            "liet_ke daftar 列出 一覧 목록",
    "convert": "convierte* converte* convertis konvertier* converti zet_om przekonwertuj* "
               "конвертир* сконверт* переведи cevir* chuyen_doi 转换 转成 変換 변환 pasame "
               "pasalo",
    "which port": "que_puerto qual_porta quel_port welcher_port welchen_port quale_porta "
                  "каком_порту який_порт hangi_port 端口 ポート 포트",
    "port this": "portare portieren przeportuj* портир* перенеси перенести 移植",
    "bump": "sube_la_version sobe_a_versao hochsetzen hochziehen podbij подними_версию "
            "підніми_версію tang",
    "error": "falla* erro falha* erreur* fehler* errore* fout bledu blad ошибк* падает упал* "
             "помилк* hata* loi galat 报错 错误 崩溃 エラー 落ちる クラッシュ 에러 오류 크래시 "
             "خطأ تعطل",
}

# Kana and Han (the n-grams read them as characters too): written without spaces.
KANA_HAN = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Their stems, and Hangul's, match inside words (Korean attaches particles: "프로덕션에서").
_UNSPACED = re.compile(f"[{KANA_HAN}\uac00-\ud7af]")
_WORD = re.compile(r"\w+(?:['-]\w+)*")
_HEAD = 3  # prefix stems are looked up by their first three letters
_SCANNED = 1_500  # characters of the task read: the ask is near its start


class _FoldTable(dict[int, str]):
    """``str.translate`` table that folds one character at a time and remembers it (up to a
    bound, so hostile input cannot grow it without end)."""

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFKD", chr(code))
        kept = "".join(c for c in decomposed if not unicodedata.combining(c))
        # NFC puts a Hangul syllable back together after NFKD took it apart
        folded = unicodedata.normalize("NFC", kept)
        if len(self) < 20_000:
            self[code] = folded
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Lower-case and strip accents ("migración" → "migracion"), keeping every other
    character: the form both the stems and the text are matched in."""
    lowered = text.lower()
    return lowered if lowered.isascii() else lowered.translate(_FOLD)


@dataclass(frozen=True)
class _Lexicon:
    """The stems, indexed so a task costs a few dictionary lookups per word: a regex
    alternation of the thousand stems took tens of milliseconds on a long task."""

    words: dict[str, str]  # whole word -> gloss
    prefixes: dict[str, list[tuple[str, str]]]  # first letters -> (prefix stem, gloss)
    phrases: dict[str, list[tuple[tuple[str, ...], str]]]  # first word -> (next words, gloss)
    spaceless: dict[str, list[tuple[str, str]]]  # first character -> (CJK/kana/Hangul stem, gloss)


def _lexicon() -> _Lexicon:
    words: dict[str, str] = {}
    prefixes: dict[str, list[tuple[str, str]]] = {}
    phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    spaceless: dict[str, list[tuple[str, str]]] = {}
    for english, stems in _CUES.items():
        for raw in stems.split():
            stem = fold(raw.rstrip("*").replace("_", " "))
            if _UNSPACED.match(stem):
                spaceless.setdefault(stem[0], []).append((stem, english))
            elif " " in stem:
                first, *rest = stem.split()
                phrases.setdefault(first, []).append((tuple(rest), english))
            elif raw.endswith("*"):
                assert len(stem) >= _HEAD, raw
                prefixes.setdefault(stem[:_HEAD], []).append((stem, english))
            else:
                words.setdefault(stem, english)
    return _Lexicon(words, prefixes, phrases, spaceless)


_LEXICON = _lexicon()
GLOSSES: tuple[str, ...] = tuple(_CUES)  # every English gloss, in the order they are answered
_ORDER = {english: index for index, english in enumerate(GLOSSES)}


def gloss(text: str) -> str:
    """The English cue words for the foreign cue words in ``text``, one per line, in a fixed
    order ("" when there are none, as for English text)."""
    folded = fold(text[:_SCANNED])
    lex = _LEXICON
    found: set[str] = set()
    tokens = _WORD.findall(folded)
    for index, word in enumerate(tokens):
        if (english := lex.words.get(word)) is not None:
            found.add(english)
        for stem, english in lex.prefixes.get(word[:_HEAD], ()):
            if word.startswith(stem):
                found.add(english)
        for rest, english in lex.phrases.get(word, ()):
            if tuple(tokens[index + 1:index + 1 + len(rest)]) == rest:
                found.add(english)
    if _UNSPACED.search(folded):
        for index, char in enumerate(folded):
            for stem, english in lex.spaceless.get(char, ()):
                if folded.startswith(stem, index):
                    found.add(english)
    return "\n".join(sorted(found, key=_ORDER.__getitem__))
