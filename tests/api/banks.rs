//! Question banks over HTTP: every import format, all-or-nothing imports, versions.

use crate::helpers::{PASSWORD, TestApp, phone, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub const NATIVE: &str = r#"format = "safecert-bank/1"
bank = "测试题库"

[[questions]]
ref = "T-CPR-001"
kind = "single"
stem = "成人胸外按压的频率应为每分钟多少次？"
options = ["60～80次", "80～100次", "100～120次", "120～140次"]
answer = "C"
explanation = "每分钟100～120次。"
tags = ["应急救护", "心肺复苏"]
difficulty = 2

[[questions]]
ref = "T-FIRE-001"
kind = "multiple"
stem = "灭火的基本方法有哪些？"
options = ["冷却法", "窒息法", "隔离法", "加热法"]
answer = "ABC"
explanation = "冷却、窒息、隔离和化学抑制。"
tags = ["消防安全"]
difficulty = 2

[[questions]]
ref = "T-FIRE-002"
kind = "true_false"
stem = "发生火灾时可以乘坐普通电梯逃生。"
answer = "F"
explanation = "火灾时不得乘坐普通电梯。"
tags = ["消防安全"]
difficulty = 1
"#;

impl TestApp {
    pub async fn create_bank(&self, token: &str, name: &str) -> i64 {
        let reply = self
            .post("/api/v1/question-banks", Some(token), json!({"name": name}))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.body["id"].as_i64().unwrap()
    }

    pub async fn import(
        &self,
        token: &str,
        bank: i64,
        format: &str,
        body: impl Into<reqwest::Body>,
    ) -> crate::helpers::Reply {
        let resp = self
            .client
            .post(format!(
                "{}/api/v1/question-banks/{bank}/import?format={format}",
                self.base
            ))
            .bearer_auth(token)
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await
            .unwrap();
        crate::helpers::read_reply(resp).await
    }

    pub async fn bank_questions(&self, token: &str, bank: i64) -> Value {
        let reply = self
            .get(
                &format!("/api/v1/question-banks/{bank}/questions?limit=500"),
                Some(token),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.body
    }
}

fn kinds(questions: &Value) -> (usize, usize, usize) {
    let items = questions["items"].as_array().unwrap();
    let count = |k: &str| items.iter().filter(|q| q["kind"] == k).count();
    (count("single"), count("multiple"), count("true_false"))
}

#[tokio::test]
async fn native_import_is_idempotent_and_edits_make_versions() {
    let app = spawn_app().await;
    let bureau = app.bureau_admin().await;
    let bank = app.create_bank(&bureau, "测试题库").await;

    let first = app.import(&bureau, bank, "native", NATIVE).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.body["imported"], 3);

    let again = app.import(&bureau, bank, "native", NATIVE).await;
    assert_eq!(again.body["imported"], 0);
    assert_eq!(again.body["unchanged"], 3);

    let questions = app.bank_questions(&bureau, bank).await;
    assert_eq!(questions["total"], 3);
    let cpr = questions["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["ref"] == "T-CPR-001")
        .unwrap();
    assert_eq!(cpr["answer"], json!(["C"]));
    assert_eq!(cpr["options"][2], json!({"key": "C", "text": "100～120次"}));
    assert_eq!(cpr["version"], 1);
    let tf = questions["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["ref"] == "T-FIRE-002")
        .unwrap();
    assert_eq!(
        tf["options"],
        json!([{"key": "T", "text": "正确"}, {"key": "F", "text": "错误"}])
    );
    assert_eq!(tf["answer"], json!(["F"]));

    // A changed file: one question's key moved. It gets version 2; the others stay.
    let changed = NATIVE.replace("answer = \"ABC\"", "answer = \"AB\"");
    let third = app.import(&bureau, bank, "native", changed).await;
    assert_eq!(
        (
            third.body["imported"].clone(),
            third.body["updated"].clone(),
            third.body["unchanged"].clone()
        ),
        (json!(0), json!(1), json!(2))
    );
    let questions = app.bank_questions(&bureau, bank).await;
    let fire = questions["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["ref"] == "T-FIRE-001")
        .unwrap();
    assert_eq!(fire["version"], 2);
    assert_eq!(fire["answer"], json!(["A", "B"]));

    // Editing over the API makes a version too, and the old versions stay stored.
    let id = cpr["id"].as_i64().unwrap();
    let edited = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/questions/{id}"),
            Some(&bureau),
            Some(json!({"kind": "single", "stem": "成人胸外按压的频率应为每分钟多少次？（2025版指南）",
                        "options": cpr["options"], "answer": ["C"], "explanation": "100～120次",
                        "tags": ["应急救护"], "difficulty": 2, "status": "active"})),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    assert_eq!(edited.body["version"], 2);
    let versions: i64 = safecert::with_pool!(&app.state.db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM question_versions").fetch_one(pool).await.unwrap()
    });
    assert_eq!(versions, 5, "3 originals + 1 re-imported + 1 edited");

    // Retiring keeps the version.
    let mut body = edited.body.clone();
    body["status"] = json!("retired");
    let retired = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/questions/{id}"),
            Some(&bureau),
            Some(body),
        )
        .await;
    assert_eq!(retired.body["status"], "retired");
    assert_eq!(retired.body["version"], 2);
}

#[tokio::test]
async fn a_broken_file_is_refused_whole_with_line_numbers() {
    let app = spawn_app().await;
    let bureau = app.bureau_admin().await;
    let bank = app.create_bank(&bureau, "测试题库").await;
    let broken = NATIVE
        .replace("answer = \"C\"", "answer = \"E\"")
        .replace("kind = \"true_false\"", "kind = \"essay\"");
    let reply = app.import(&bureau, bank, "native", broken).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
    assert_eq!(reply.body["code"], "import_invalid");
    let lines: Vec<i64> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, vec![4, 24]);
    assert_eq!(
        app.bank_questions(&bureau, bank).await["total"],
        0,
        "nothing written"
    );

    let syntax = app
        .import(
            &bureau,
            bank,
            "native",
            "format = \"safecert-bank/1\"\nbank = \n",
        )
        .await;
    assert_eq!(syntax.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(syntax.body["errors"][0]["line"], 2);
}

#[tokio::test]
async fn spreadsheets_in_csv_gbk_csv_and_xlsx() {
    let app = spawn_app().await;
    let bureau = app.bureau_admin().await;
    let bank = app.create_bank(&bureau, "表格题库").await;
    let csv = "编号,题型,题干,选项A,选项B,选项C,选项D,答案,解析,标签,难度\n\
               X-1,单选,发生火灾应拨打哪个电话？,110,119,120,122,B,火警电话119,消防安全;报警,1\n\
               X-2,多选,\"灭火的基本方法有哪些？\",冷却法,窒息法,隔离法,加热法,\"A,B,C\",,消防安全,2\n\
               X-3,判断,电梯可用于火场逃生。,,,,,错误,火灾时不得乘电梯,,\n";
    let reply = app.import(&bureau, bank, "csv", csv).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["imported"], 3);
    assert_eq!(kinds(&app.bank_questions(&bureau, bank).await), (1, 1, 1));

    // The same sheet saved by a Chinese Excel (GBK) is the same questions.
    let (gbk, _, _) = encoding_rs::GBK.encode(csv);
    let again = app.import(&bureau, bank, "csv", gbk.into_owned()).await;
    assert_eq!(again.body["unchanged"], 3, "{}", again.text);

    let bad = "题型,题干,选项A,选项B,答案\n单选,好题,甲,乙,A\n单选,坏题,甲,乙,C\n";
    let refused = app.import(&bureau, bank, "csv", bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["errors"][0]["line"], 3);

    // Export as xlsx, import into another bank: the same questions.
    let export = app
        .client
        .get(format!(
            "{}/api/v1/question-banks/{bank}/export?format=xlsx",
            app.base
        ))
        .bearer_auth(&bureau)
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), StatusCode::OK);
    assert!(
        export.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''")
    );
    let xlsx = export.bytes().await.unwrap();
    let copy = app.create_bank(&bureau, "表格题库副本").await;
    let imported = app.import(&bureau, copy, "xlsx", xlsx.to_vec()).await;
    assert_eq!(imported.body["imported"], 3, "{}", imported.text);
    let original = app.bank_questions(&bureau, bank).await;
    let copied = app.bank_questions(&bureau, copy).await;
    for field in [
        "ref",
        "kind",
        "stem",
        "options",
        "answer",
        "explanation",
        "tags",
        "difficulty",
    ] {
        let pick = |v: &Value| {
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|q| q[field].clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(pick(&original), pick(&copied), "{field}");
    }

    let not_xlsx = app.import(&bureau, copy, "xlsx", "这不是表格").await;
    assert_eq!(not_xlsx.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_bureau_style_xlsx_with_chinese_headers() {
    let app = spawn_app().await;
    let bureau = app.bureau_admin().await;
    let bank = app.create_bank(&bureau, "表格题库").await;
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let rows = [
        vec![
            "序号", "题型", "题干", "选项A", "选项B", "选项C", "答案", "解析", "难度",
        ],
        vec![
            "1",
            "单选题",
            "有限空间作业应遵循的原则是？",
            "先检测、再通风、后作业",
            "先通风、再检测、后作业",
            "先作业、再通风",
            "B",
            "先通风、再检测、后作业",
            "2",
        ],
        vec![
            "2",
            "判断题",
            "有限空间内发生事故，未经防护可以立即进入施救。",
            "",
            "",
            "",
            "×",
            "严禁盲目施救",
            "1",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string(r as u32 + 2, c as u16, *cell).unwrap();
        }
    }
    let bytes = workbook.save_to_buffer().unwrap();
    let reply = app.import(&bureau, bank, "xlsx", bytes).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["imported"], 2);
    let questions = app.bank_questions(&bureau, bank).await;
    let tf = questions["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["kind"] == "true_false")
        .unwrap();
    assert_eq!(tf["answer"], json!(["F"]));
}

#[tokio::test]
async fn gift_aiken_and_moodle_xml_with_chinese_text() {
    let app = spawn_app().await;
    let bureau = app.bureau_admin().await;
    let bank = app.create_bank(&bureau, "外部题库").await;
    let gift = "$CATEGORY: $course$/top/应急救护\n\n\
                ::CPR:: 成人胸外按压深度为？ {=5～6厘米 ~2～3厘米 ~8～10厘米 ####成人按压深度5～6厘米}\n\n\
                ::AED:: AED分析心律时不要触碰患者。 {TRUE}\n\n\
                ::ESSAY:: 简述海姆立克法。 {}\n";
    let reply = app.import(&bureau, bank, "gift", gift).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["imported"], 2);
    assert_eq!(reply.body["skipped"][0]["line"], 7);

    let aiken = "发生火灾应拨打哪个电话？\nA. 110\nB. 119\nC. 120\nANSWER: B\n\n燃气泄漏时应先做什么？\nA) 打开电灯查看\nB) 关闭阀门并开窗通风\nANSWER: B\n";
    let reply = app.import(&bureau, bank, "aiken", aiken).await;
    assert_eq!(reply.body["imported"], 2, "{}", reply.text);

    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="multichoice">
    <name><text>粉尘爆炸</text></name>
    <questiontext format="html"><text><![CDATA[<p>粉尘爆炸的条件包括哪些？&nbsp;</p>]]></text></questiontext>
    <generalfeedback format="html"><text>可燃粉尘、助燃物、点火源、粉尘云、受限空间</text></generalfeedback>
    <single>false</single>
    <answer fraction="50"><text>可燃粉尘</text></answer>
    <answer fraction="50"><text>点火源</text></answer>
    <answer fraction="-100"><text>水雾</text></answer>
  </question>
  <question type="truefalse">
    <name><text>判断</text></name>
    <questiontext format="moodle_auto_format"><text>铝镁粉尘着火可以用水扑救。</text></questiontext>
    <answer fraction="0"><text>true</text></answer>
    <answer fraction="100"><text>false</text></answer>
  </question>
</quiz>"#;
    let reply = app.import(&bureau, bank, "moodlexml", xml).await;
    assert_eq!(reply.body["imported"], 2, "{}", reply.text);

    let questions = app.bank_questions(&bureau, bank).await;
    assert_eq!(kinds(&questions), (3, 1, 2));
    let items = questions["items"].as_array().unwrap();
    let dust = items.iter().find(|q| q["kind"] == "multiple").unwrap();
    assert_eq!(dust["stem"], "粉尘爆炸的条件包括哪些？");
    assert_eq!(dust["answer"], json!(["A", "B"]));
    let cpr = items
        .iter()
        .find(|q| q["stem"] == "成人胸外按压深度为？")
        .unwrap();
    assert_eq!(cpr["explanation"], "成人按压深度5～6厘米");
    assert_eq!(cpr["tags"], json!(["应急救护"]));

    // Every format re-imports without duplicates.
    for (format, body) in [("gift", gift), ("aiken", aiken), ("moodlexml", xml)] {
        let again = app.import(&bureau, bank, format, body).await;
        assert_eq!(again.body["imported"], 0, "{format}: {}", again.text);
    }
    assert_eq!(app.bank_questions(&bureau, bank).await["total"], 6);
}

/// Moodle's own fixtures (../shared/test-data/moodle), with the counts its MANIFEST gives.
#[tokio::test]
async fn moodles_own_fixtures_import_with_the_manifest_counts() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/test-data/moodle");
    let Ok(manifest) = std::fs::read_to_string(dir.join("MANIFEST.tsv")) else {
        eprintln!("skipped: ../shared/test-data/moodle is absent");
        return;
    };
    let app = spawn_app().await;
    let bureau = app.bureau_admin().await;
    let mut checked = 0;
    for (i, line) in manifest.lines().skip(1).enumerate() {
        let cols: Vec<&str> = line.split('\t').collect();
        let (path, format) = (cols[0], cols[1]);
        let n = |i: usize| cols[i].parse::<usize>().unwrap();
        let (single, multi, tf, other, malformed) = (n(4), n(5), n(6), n(7), n(9));
        let bank = app.create_bank(&bureau, &format!("moodle-{i}")).await;
        let body = std::fs::read(dir.join(path)).unwrap();
        let reply = app.import(&bureau, bank, format, body).await;
        if malformed > 0 {
            assert_eq!(
                reply.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path}: {}",
                reply.text
            );
            assert_eq!(
                reply.body["errors"].as_array().unwrap().len(),
                malformed,
                "{path}: {}",
                reply.text
            );
            assert_eq!(
                app.bank_questions(&bureau, bank).await["total"],
                0,
                "{path}: nothing written"
            );
        } else {
            assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
            assert_eq!(
                reply.body["skipped"].as_array().unwrap().len(),
                other,
                "{path}: {}",
                reply.text
            );
            // Every question is read; an exact repeat within the file is held once.
            let (imported, repeats) = (
                reply.body["imported"].as_u64().unwrap(),
                reply.body["unchanged"].as_u64().unwrap(),
            );
            assert_eq!(
                (imported + repeats) as usize,
                single + multi + tf,
                "{path}: {}",
                reply.text
            );
            let questions = app.bank_questions(&bureau, bank).await;
            let held = kinds(&questions);
            if repeats == 0 {
                assert_eq!(held, (single, multi, tf), "{path}");
            } else {
                // Moodle's samples repeat questions word for word (GIFT's `2-08 TSL` {T}/{TRUE},
                // the Grant's-tomb examples): the bank holds each once.
                assert!(
                    held.0 <= single && held.1 <= multi && held.2 <= tf,
                    "{path}: {held:?}"
                );
                assert_eq!((held.0 + held.1 + held.2) as u64, imported, "{path}");
            }
            let again = app
                .import(
                    &bureau,
                    bank,
                    format,
                    std::fs::read(dir.join(path)).unwrap(),
                )
                .await;
            assert_eq!(again.body["imported"], 0, "{path}: re-import");
        }
        checked += 1;
    }
    assert_eq!(checked, 16);
}

#[tokio::test]
async fn only_the_bureau_sees_banks_and_keys() {
    let app = spawn_app().await;
    let bureau = app.bureau_admin().await;
    let bank = app.create_bank(&bureau, "测试题库").await;
    app.register_citizen(1, "张三").await;
    let citizen = app.token(&phone(1), PASSWORD).await;
    assert_eq!(
        app.get("/api/v1/question-banks", Some(&citizen))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/question-banks/{bank}/questions"),
            Some(&citizen)
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.import(&citizen, bank, "native", NATIVE).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/v1/question-banks", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let dup = app
        .post(
            "/api/v1/question-banks",
            Some(&bureau),
            json!({"name": "测试题库"}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(dup.body["field"], "name");
    assert_eq!(
        app.import(&bureau, 9999, "native", NATIVE).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn broken_gift_aiken_and_moodle_xml_files_name_their_lines_and_write_nothing() {
    let app = spawn_app().await;
    let bureau = app.bureau_admin().await;
    let bank = app.create_bank(&bureau, "外部题库").await;
    let cases = [
        (
            "gift",
            "::好题:: 119是火警电话。 {T}\n\n::坏题:: 缺少右括号的题 {=对 ~错\n",
            3,
        ),
        (
            "aiken",
            "好题？\nA. 甲\nB. 乙\nANSWER: A\n\n没有答案行的题？\nA. 甲\nB. 乙\n\n下一题？\nA. 丙\nB. 丁\nANSWER: B\n",
            10,
        ),
        (
            "moodlexml",
            "<?xml version=\"1.0\"?>\n<quiz>\n<question type=\"multichoice\">\n<questiontext format=\"html\"><text>没有正确答案的题</text></questiontext>\n<single>true</single>\n<answer fraction=\"0\"><text>甲</text></answer>\n<answer fraction=\"0\"><text>乙</text></answer>\n</question>\n</quiz>\n",
            3,
        ),
        (
            "moodlexml",
            "<?xml version=\"1.0\"?>\n<quiz>\n<question type=\"truefalse\">\n<questiontext><text>未闭合\n</quiz>\n",
            5,
        ),
    ];
    for (format, body, line) in cases {
        let reply = app.import(&bureau, bank, format, body).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{format}: {}",
            reply.text
        );
        assert_eq!(reply.body["code"], "import_invalid");
        assert_eq!(
            reply.body["errors"][0]["line"], line,
            "{format}: {}",
            reply.text
        );
    }
    assert_eq!(app.bank_questions(&bureau, bank).await["total"], 0);
}
