"""Everything users read: zh-TW texts and the builders of LINE message JSON (text, quick replies, Flex)."""
