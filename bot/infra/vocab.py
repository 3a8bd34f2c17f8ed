"""The domain's vocabulary: one English name per concept in code, its Chinese label for people.

Imports read the Chinese labels (and the aliases schools use); messages show them.
"""
from __future__ import annotations

from enum import StrEnum


class OutcomeStatus(StrEnum):
    draft = "draft"          # 未送出
    pending = "pending"      # 待認證
    certified = "certified"  # 已認證
    failed = "failed"        # 認證失敗


class WindowKind(StrEnum):
    outcome_upload = "outcome_upload"          # 課程學習成果上傳
    certification = "certification"            # 課程學習成果認證
    performance_upload = "performance_upload"  # 多元表現上傳
    pick = "pick"                              # 勾選
    receipt = "receipt"                        # 收訖明細確認


class ReceiptItem(StrEnum):
    cadre = "cadre"                # 幹部經歷
    course_record = "course_record"  # 修課紀錄
    outcome = "outcome"            # 課程學習成果
    performance = "performance"    # 多元表現


class Duty(StrEnum):
    subject_teacher = "subject_teacher"  # 任課教師
    registry = "registry"                # 註冊組
    academic = "academic"                # 教學組
    activities = "activities"            # 訓育組
    admin = "admin"                      # 管理者


class Enrolment(StrEnum):
    """A student's 在學狀態 as the roster gives it; only 在學 students are reminded, listed and counted."""

    enrolled = "enrolled"        # 在學
    suspended = "suspended"      # 休學
    transferred = "transferred"  # 轉出
    graduated = "graduated"      # 畢業
    left = "left"                # 離校


class PersonKind(StrEnum):
    student = "student"
    teacher = "teacher"


OUTCOME_STATUS_LABELS: dict[OutcomeStatus, str] = {
    OutcomeStatus.draft: "未送出",
    OutcomeStatus.pending: "待認證",
    OutcomeStatus.certified: "已認證",
    OutcomeStatus.failed: "認證失敗",
}
OUTCOME_STATUS_ALIASES: dict[str, OutcomeStatus] = {
    **{label: status for status, label in OUTCOME_STATUS_LABELS.items()},
    "認證成功": OutcomeStatus.certified,
    "退回": OutcomeStatus.failed,
}

WINDOW_KIND_LABELS: dict[WindowKind, str] = {
    WindowKind.outcome_upload: "課程學習成果上傳",
    WindowKind.certification: "課程學習成果認證",
    WindowKind.performance_upload: "多元表現上傳",
    WindowKind.pick: "勾選",
    WindowKind.receipt: "收訖明細確認",
}

RECEIPT_ITEM_LABELS: dict[ReceiptItem, str] = {
    ReceiptItem.cadre: "幹部經歷",
    ReceiptItem.course_record: "修課紀錄",
    ReceiptItem.outcome: "課程學習成果",
    ReceiptItem.performance: "多元表現",
}

ENROLMENT_LABELS: dict[Enrolment, str] = {
    Enrolment.enrolled: "在學",
    Enrolment.suspended: "休學",
    Enrolment.transferred: "轉出",
    Enrolment.graduated: "畢業",
    Enrolment.left: "離校",
}
# 離校生: their records are kept for the school's retention years, then purged (seed: 「離校生之學習歷程
# 檔案資料，保存○年…達保存年限後，始得刪除」). A 休學 student may come back: never purged.
LEFT_SCHOOL = frozenset({Enrolment.transferred, Enrolment.graduated, Enrolment.left})

DUTY_LABELS: dict[Duty, str] = {
    Duty.subject_teacher: "任課教師",
    Duty.registry: "註冊組",
    Duty.academic: "教學組",
    Duty.activities: "訓育組",
    Duty.admin: "管理者",
}
STAFF_DUTIES = frozenset({Duty.registry, Duty.academic, Duty.activities, Duty.admin})

# Which office answers an objection (疑義) on each receipt item.
OBJECTION_OFFICE: dict[ReceiptItem, Duty] = {
    ReceiptItem.cadre: Duty.activities,
    ReceiptItem.performance: Duty.activities,
    ReceiptItem.course_record: Duty.registry,
    ReceiptItem.outcome: Duty.academic,
}

GRADE_LABELS: dict[int, str] = {1: "高一", 2: "高二", 3: "高三"}
DEFAULT_DIVISION = "日間部"
WHOLE_SCHOOL = "全校"

# Limits the regulations set.
OUTCOME_UPLOADS_PER_TERM = 6  # the default of the school's setting (Settings.school)
OUTCOME_PICKS_PER_YEAR = 6
PERFORMANCE_UPLOADS_PER_TERM = 10
PERFORMANCE_UPLOADS_PER_YEAR = 20
PERFORMANCE_PICKS_PER_YEAR = 10
RECEIPT_WINDOW_MIN_DAYS = 3


def reverse(labels: dict) -> dict[str, object]:
    """Label -> enum member, for reading imports."""
    return {label: member for member, label in labels.items()}
