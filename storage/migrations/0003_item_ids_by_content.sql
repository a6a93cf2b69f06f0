-- An item's id is now a hash of its text alone (bot.intake.classify.item_id), no longer of its
-- feed's URL and its text: a feed that moved to a new address, or a mirror of it, brings no item
-- twice. Ids stored before cannot be recomputed here (they hash the text through the Vietnamese
-- accent key), so this table lists the rows that still hold one; the bot gives them their new id
-- (storage.items.rekey_items) before it stores another item, so that nothing is pushed twice.
CREATE TABLE items_legacy_id (
    seq INTEGER PRIMARY KEY REFERENCES items(seq) ON DELETE CASCADE
);
INSERT INTO items_legacy_id (seq) SELECT seq FROM items;
