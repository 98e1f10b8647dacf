// Messages that change another message rather than stand alone: reactions, edits and
// deletions. When their target is loaded they are drawn on it (and not as bubbles of their
// own); the latest one per sender wins, and a reaction with no emoji removes it.

function targetOf(message) {
  const content = message.content || {};
  if (message.type === "reaction") return content.message_id;
  if (message.type === "edit" || message.type === "revoke") return content.original_message_id;
  return null;
}

// items must be in thread order (oldest first), so a later message overrides an earlier one.
export function annotate(items) {
  const byWamid = new Map();
  for (const item of items) if (item.wamid) byWamid.set(item.wamid, item);
  const reactionsBySender = new Map();
  const edits = new Map();
  const revoked = new Set();
  const hidden = new Set();
  for (const item of items) {
    const target = targetOf(item);
    if (!target || !byWamid.has(target)) continue;
    hidden.add(item);
    if (item.type === "reaction") {
      const senders = reactionsBySender.get(target) || new Map();
      senders.set(item.direction, item.content.emoji || null);
      reactionsBySender.set(target, senders);
    } else if (item.type === "edit") {
      edits.set(target, item);
    } else {
      revoked.add(target);
    }
  }
  const reactions = new Map();
  for (const [target, senders] of reactionsBySender) {
    const shown = [...senders].filter(([, emoji]) => emoji).map(([from, emoji]) => ({ from, emoji }));
    if (shown.length) reactions.set(target, shown);
  }
  return { byWamid, reactions, edits, revoked, hidden };
}
