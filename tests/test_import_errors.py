"""Every bad row the importer must refuse: the row number, the reason, and nothing changed."""
from __future__ import annotations

from pathlib import Path

from bot.infra.db import Database
from tests.test_import import assert_rows, outcome, rejected, run, school, write  # noqa: F401 (fixture)


# -- files ----------------------------------------------------------------------------------

def test_unknown_header_names_the_file(school: Database, tmp_path: Path) -> None:
    path = tmp_path / "名單.csv"
    path.write_text("學號,姓名,班級,電話\nS001,王小明,101,0912\n", encoding="utf-8")
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b\n1,2\n", encoding="utf-8")
    errors = rejected(school, path, odd)
    assert_rows(errors, [("名單.csv", 1, "無法辨識的標題列「學號,姓名,班級,電話」；最接近學生名冊"),
                         ("odd.csv", 1, "無法辨識的標題列「a,b」")])
    assert "缺少 座號、年級" in errors[0][2] and "多了 電話" in errors[0][2]


def test_missing_empty_and_foreign_files(school: Database, tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    errors = rejected(school, tmp_path / "nowhere.csv", tmp_path / "empty.csv", tmp_path / "notes.pdf",
                      tmp_path / "broken.xlsx")
    assert_rows(errors, [("nowhere.csv", None, "找不到檔案"), ("empty.csv", None, "檔案是空的"),
                         ("notes.pdf", None, "只能匯入 .csv 或 .xlsx"), ("broken.xlsx", None, "無法開啟 XLSX")])


# -- students -------------------------------------------------------------------------------

def test_student_rows(school: Database, tmp_path: Path) -> None:
    errors = rejected(school, write(tmp_path, "s.csv", "students", [
        "S010,,101,1,高一,日間部",          # 2: empty name
        "S011,甲,101,0,高一,日間部",        # 3: bad seat
        "S012,乙,101,1,高四,日間部",        # 4: bad grade
        "S013,丙,101,1,高二,日間部",        # 5: grade vs existing class 101
        "S014,丁,105,1,高一,日間部",        # 6: new class 105 ...
        "S015,戊,105,2,高二,日間部",        # 7: ... grade differs inside the file
        "S016,己,105,3,高一,進修部",        # 8: ... division differs inside the file
        "S017,庚,101,4,高一,日間部,多的",    # 9: a cell beyond the header
        "S020,辛,101,5,高一,日間部",        # 10: duplicate key ...
        "S020,壬,101,6,高一,日間部",        # 11: ... both rows
    ]))
    assert_rows(errors, [
        ("s.csv", 2, "姓名不可空白"), ("s.csv", 3, "座號「0」不正確"), ("s.csv", 4, "年級「高四」不是可用的值"),
        ("s.csv", 5, "年級高二與既有班級 101 的年級（高一）不符"), ("s.csv", 7, "班級 105 的年級與第6列不一致"),
        ("s.csv", 8, "班級 105 的部別與第6列不一致"), ("s.csv", 9, "標題列之外"),
        ("s.csv", 10, "學號 S020 與第11列重複"), ("s.csv", 11, "學號 S020 與第10列重複"),
    ])


# -- teachers -------------------------------------------------------------------------------

def test_teacher_rows(school: Database, tmp_path: Path) -> None:
    errors = rejected(school, write(tmp_path, "t.csv", "teachers", [
        "T10,甲,101,班導師",        # unknown duty
        "T11,乙,999,任課教師",      # unknown homeroom class
        ",丙,,",                    # empty key
        "T12,丁,,", "T12,戊,,",     # duplicate
    ]))
    assert_rows(errors, [
        ("t.csv", 2, "職務「班導師」不是可用的值（任課教師、註冊組、教學組、訓育組、管理者）"),
        ("t.csv", 3, "導師班級「999」不是已知的班級"), ("t.csv", 4, "教師編號不可空白"),
        ("t.csv", 5, "教師編號 T12 與第6列重複"), ("t.csv", 6, "教師編號 T12 與第5列重複"),
    ])


# -- courses --------------------------------------------------------------------------------

def test_course_rows(school: Database, tmp_path: Path) -> None:
    errors = rejected(school, write(tmp_path, "c.csv", "courses", [
        "114,3,ENG,英語文,101,T01,",        # bad semester
        "二零二五,1,ENG,英語文,101,T01,",    # bad year
        "2025,1,ENG,英語文,101,T01,",       # not an ROC year
        "114,1,ENG,英語文,109,T01,",        # unknown class
        "114,1,ENG,英語文,101,T99,",        # unknown teacher
        "114,1,ENG,英語文,102,T01,T98;T02",  # unknown proxy
        "114,1,MAT,數學,101,T01,T01",       # teacher is own proxy
        "114,1,MAT,數學,102,T01,T02;T02",   # proxy twice
        "114,1,BIO,生物,101,T01,", "114,1,BIO,生物物理,101,T02,",  # duplicate key
    ]))
    assert_rows(errors, [
        ("c.csv", 2, "學期「3」不正確（須為 1 或 2）"), ("c.csv", 3, "學年度「二零二五」不正確"),
        ("c.csv", 4, "學年度「2025」不正確（須為民國學年度"), ("c.csv", 5, "班級「109」不是已知的班級"),
        ("c.csv", 6, "授課教師「T99」不是已知的教師編號"), ("c.csv", 7, "代理教師「T98」不是已知的教師編號"),
        ("c.csv", 8, "授課教師不能同時是代理教師"), ("c.csv", 9, "代理教師有重複"),
        ("c.csv", 10, "114-1 課程代碼 BIO 班級 101 與第11列重複"), ("c.csv", 11, "與第10列重複"),
    ])


# -- outcomes -------------------------------------------------------------------------------

def test_outcome_rows(school: Database, tmp_path: Path) -> None:
    # CHI has a 101 and a 102 section; S004 is in 201, which has no CHI: ambiguous.
    errors = rejected(school, write(tmp_path, "o.csv", "outcomes", [
        outcome("O1", student="S999"),
        outcome("O2", course="XYZ"),
        outcome("O3", student="S004", course="CHI"),
        outcome("O4", status="審核中"),
        outcome("O5", submitted="2025-13-01"),
        outcome("O6", picked="Y"),
        outcome("O7", term="114,2"),
        outcome("O8"), outcome("O8"),
        outcome("O9", certified="2025-10-05 25:00", status="已認證"),
    ]))
    assert_rows(errors, [
        ("o.csv", 2, "學號「S999」不是已知的學生"), ("o.csv", 3, "114-1 沒有課程代碼「XYZ」的課程"),
        ("o.csv", 4, "課程代碼「CHI」在 114-1 有多個班級開課"), ("o.csv", 5, "狀態「審核中」不是可用的值"),
        ("o.csv", 6, "送出時間「2025-13-01」不是有效的日期時間"), ("o.csv", 7, "勾選「Y」須為「是」、「否」或空白"),
        ("o.csv", 8, "114-2 沒有課程代碼「CHI」的課程"),
        ("o.csv", 9, "成果編號 O8 與第10列重複"), ("o.csv", 10, "成果編號 O8 與第9列重複"),
        ("o.csv", 11, "認證時間「2025-10-05 25:00」不是有效的日期時間"),
    ])


def test_outcomes_per_term_limit_counts_existing_rows(school: Database, tmp_path: Path) -> None:
    existing = [outcome(f"E{i}", course="CHI") for i in range(5)]
    assert run(school, write(tmp_path, "o1.csv", "outcomes", existing)).ok
    errors = rejected(school, write(tmp_path, "o2.csv", "outcomes", [
        outcome("E0", course="CHI"), outcome("N1", course="ART"), outcome("N2", course="ART"),
        outcome("N3", student="S002")]))
    reason = "學號 S001 在 114-1 的課程學習成果共 7 件，超過本校規定每學期 6 件的上限"
    assert_rows(errors, [("o2.csv", 2, reason), ("o2.csv", 3, reason), ("o2.csv", 4, reason)])
    # Moving an existing one to another student frees a slot: then six fit.
    assert run(school, write(tmp_path, "o3.csv", "outcomes", [
        outcome("E0", student="S002"), outcome("N1", course="ART"), outcome("N2", course="ART")])).ok


def test_outcome_picks_per_year_limit(school: Database, tmp_path: Path) -> None:
    assert run(school, write(tmp_path, "c.csv", "courses", ["114,2,CHI,國語文,101,T01,"])).ok
    first = [outcome(f"A{i}", status="已認證", picked="是") for i in range(4)]
    assert run(school, write(tmp_path, "o1.csv", "outcomes", first)).ok
    errors = rejected(school, write(tmp_path, "o2.csv", "outcomes", [
        outcome("B1", term="114,2", status="已認證", picked="是"), outcome("B2", term="114,2", picked="否"),
        outcome("B3", term="114,2", status="已認證", picked="是"),
        outcome("B4", term="114,2", status="已認證", picked="是")]))
    reason = "學號 S001 在 114 學年度勾選的課程學習成果共 7 件，超過 6 件的上限"
    assert_rows(errors, [("o2.csv", 2, reason), ("o2.csv", 4, reason), ("o2.csv", 5, reason)])


def test_only_certified_outcomes_can_be_picked(school: Database, tmp_path: Path) -> None:
    # Seed (000, 課程學習成果): 「上傳至學習歷程學校平臺者…並應經任課教師認證…經學生勾選至多六件後，提交」;
    # seed (004, 勾選): 「每學年至多 勾選 6 件 ★ 需教師認證」. A 勾選 on an item not certified is a bad row.
    errors = rejected(school, write(tmp_path, "p.csv", "outcomes", [
        outcome("P1", status="待認證", picked="是"), outcome("P2", status="認證失敗", picked="是"),
        outcome("P3", status="未送出", picked="是"), outcome("P4", status="已認證", picked="是"),
        outcome("P5", status="認證失敗", picked="否")]))
    reason = "只有「已認證」的課程學習成果可以勾選"
    assert_rows(errors, [("p.csv", 2, reason), ("p.csv", 3, reason), ("p.csv", 4, reason)])
    assert run(school, write(tmp_path, "ok.csv", "outcomes", [outcome("P4", status="已認證", picked="是")])).ok


# -- performances ---------------------------------------------------------------------------

def test_performance_rows_and_limits(school: Database, tmp_path: Path) -> None:
    errors = rejected(school, write(tmp_path, "p.csv", "performances", [
        "P1,S001,114,,志工服務,,",           # empty category
        "P2,S001,114,志工,,,",               # empty title
        "P3,S999,114,志工,服務,,",           # unknown student
        "P4,S001,114,志工,服務,昨天,",        # bad date
    ]))
    assert_rows(errors, [("p.csv", 2, "類別不可空白"), ("p.csv", 3, "名稱不可空白"),
                         ("p.csv", 4, "學號「S999」不是已知的學生"), ("p.csv", 5, "上傳時間「昨天」不是有效的日期時間")])

    assert run(school, write(tmp_path, "p1.csv", "performances",
                             [f"Q{i},S001,114,社團,活動{i},,{'是' if i < 9 else '否'}" for i in range(19)])).ok
    errors = rejected(school, write(tmp_path, "p2.csv", "performances", [
        "R1,S001,114,社團,新活動1,,是", "R2,S001,114,社團,新活動2,,是", "R3,S001,113,社團,去年的,,是"]))
    assert_rows(errors, [
        ("p2.csv", 2, "學號 S001 在 114 學年度的多元表現共 21 件，超過本校規定每學年 20 件的上限"),
        ("p2.csv", 2, "學號 S001 在 114 學年度勾選的多元表現共 11 件，超過 10 件的上限"),
        ("p2.csv", 3, "共 21 件"), ("p2.csv", 3, "勾選的多元表現共 11 件"),
    ])


# -- receipts -------------------------------------------------------------------------------

def test_receipt_rows(school: Database, tmp_path: Path) -> None:
    errors = rejected(school, write(tmp_path, "r.csv", "receipts", [
        "S001,113/2,修課紀錄,12 科",
        "S001,113-3,修課紀錄,12 科",
        "S001,113-2,獎懲紀錄,嘉獎一次",
        "S999,113-2,修課紀錄,12 科",
        "S001,113-2,幹部經歷,",
        "S002,113-2,幹部經歷,班長", "S002,113-2,幹部經歷,班長",
    ]))
    assert_rows(errors, [
        ("r.csv", 2, "提交批次「113/2」須像 113-2"), ("r.csv", 3, "提交批次「113-3」須像 113-2"),
        ("r.csv", 4, "項目「獎懲紀錄」不是可用的值（幹部經歷、修課紀錄、課程學習成果、多元表現）"),
        ("r.csv", 5, "學號「S999」不是已知的學生"), ("r.csv", 6, "內容不可空白"),
        ("r.csv", 7, "學號 S002 批次 113-2 的同一幹部經歷內容與第8列重複"), ("r.csv", 8, "與第7列重複"),
    ])


# -- schedule -------------------------------------------------------------------------------

def test_schedule_rows(school: Database, tmp_path: Path) -> None:
    errors = rejected(school, write(tmp_path, "w.csv", "schedule", [
        "期末考,114,1,全校,2025-09-01,2025-09-30",                   # unknown kind
        "勾選,114,1,全校,2025-10-01 10:00,2025-10-01 09:00",         # start after end
        "勾選,114,1,全校,2025-10-01 10:00,2025-10-01 10:00",         # start == end
        "收訖明細確認,114,1,全校,2025-10-01 08:00,2025-10-04 07:59",  # under 3 days
        "勾選,114,1,101;999,2025-10-01,2025-10-05",                  # unknown class
        "勾選,114,1,高一;101,2025-10-01,2025-10-05",                 # grades and classes mixed
        "勾選,114,1,全校;高一,2025-10-01,2025-10-05",                # 全校 with others
        "勾選,114,1,,2025-10-01,2025-10-05",                        # empty audience
        "勾選,114,1,全校,,2025-10-05",                              # empty start
        "多元表現上傳,114,1,高一;高二,2025-10-01,2025-10-05",
        "多元表現上傳,114,1,高二;高一,2025-10-02,2025-10-06",        # same key (audience normalised)
        "勾選,114,0,全校,2025-10-01,2025-10-05",                    # bad semester
    ]))
    assert_rows(errors, [
        ("w.csv", 2, "項目「期末考」不是可用的值"), ("w.csv", 3, "開始須早於截止"), ("w.csv", 4, "開始須早於截止"),
        ("w.csv", 5, "收訖明細確認期間至少要 3 天"), ("w.csv", 6, "對象的班級「999」不是已知的班級"),
        ("w.csv", 7, "對象不能同時列年級和班級"), ("w.csv", 8, "「全校」不能和年級或班級並列"),
        ("w.csv", 9, "對象不可空白"), ("w.csv", 10, "開始不可空白"),
        ("w.csv", 11, "114-1 多元表現上傳（高一、高二）與第12列重複"), ("w.csv", 12, "與第11列重複"),
        ("w.csv", 13, "學期「0」不正確"),
    ])
    # Exactly three days is enough.
    assert run(school, write(tmp_path, "ok.csv", "schedule", ["收訖明細確認,114,1,全校,2025-10-01 08:00,2025-10-04 08:00"])).ok


def test_a_date_only_receipt_window_counts_its_last_day(school: Database, tmp_path: Path) -> None:
    # Seed (000, 收訖明細): 「前項學校公告之收訖明細之確認期間，不得少於三日。」
    # 10/1–10/3 written as dates is three whole days (10/1 00:00 to the end of 10/3): allowed.
    assert run(school, write(tmp_path, "three.csv", "schedule", ["收訖明細確認,114,1,全校,2025-10-01,2025-10-03"])).ok
    errors = rejected(school, write(tmp_path, "two.csv", "schedule", ["收訖明細確認,114,1,全校,2025-10-01,2025-10-02"]))
    assert_rows(errors, [("two.csv", 2, "收訖明細確認期間至少要 3 天")])
