"""/sources (admins): each followed source's last sync, what it brought, its last error."""

from __future__ import annotations

import asyncio
import html
import time
from datetime import UTC, datetime, timedelta, timezone

from telegram import Update

from bot.context import Context
from bot.handlers.admin import admin_only
from index.fetch import SourceStatus, source_status

VIETNAM = timezone(timedelta(hours=7))


def _when(ts: float | None) -> str:
    if ts is None:
        return "chưa"
    return datetime.fromtimestamp(ts, UTC).astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y")


def _line(s: SourceStatus) -> str:
    text = (f"• <code>{html.escape(s.url)}</code>\n  lần cuối {_when(s.last_sync)}: "
            f"mới {s.new}, cập nhật {s.updated}, gỡ {s.removed}")
    if s.last_error:
        text += f"\n  ⚠️ lỗi ({s.failures} lần liền): {html.escape(s.last_error[:200])}"
        if s.next_retry and s.next_retry > time.time():
            text += f"; thử lại lúc {_when(s.next_retry)}"
    return text


def sources_text(statuses: list[SourceStatus], configured: tuple[str, ...], minutes: float,
                 index_line: str) -> str:
    if not configured:
        return "Bot chưa theo dõi nguồn nào (đặt SOURCES để tự cập nhật bài mới)."
    every = f"mỗi {minutes:g} phút" if minutes > 0 else "đã tắt đồng bộ định kỳ (SYNC_MINUTES=0)"
    known = {s.url: s for s in statuses}
    lines = [f"📡 <b>Nguồn tin</b> ({every})"]
    for url in configured:
        s = known.get(url)
        lines.append(_line(s) if s else f"• <code>{html.escape(url)}</code>\n  chưa đồng bộ lần nào")
    return "\n".join([*lines, index_line])


@admin_only("sources")
async def on_sources(update: Update, context: Context) -> None:
    assert update.message is not None
    svc, cfg = context.bot_data.service, context.bot_data.settings
    statuses = await asyncio.to_thread(source_status, cfg.index.articles_dir)
    r = svc.last_sync
    index_line = "Chỉ mục: chưa đồng bộ lần nào từ khi bot khởi động."
    if r is not None:
        index_line = (f"Lần đồng bộ cuối: chỉ mục {html.escape(r.index.mode)}, thế hệ "
                      f"<code>{html.escape(r.generation)}</code>, lập chỉ mục {r.indexed_seconds:.1f} giây.")
    if svc.last_sync_error:
        index_line += f"\n⚠️ {html.escape(svc.last_sync_error)}"
    await update.message.reply_text(sources_text(statuses, cfg.sources, cfg.sync_minutes, index_line))
