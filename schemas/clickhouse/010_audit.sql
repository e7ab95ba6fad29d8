-- Who read or was refused, from where (issue 14): the service that answered,
-- the role of the token (empty when none was known), the peer's address and
-- the X-Forwarded-For header as the client sent it (a proxy's claim, not
-- checked). Rows written before this migration have them empty.
ALTER TABLE audit_log ADD COLUMN service String DEFAULT '';
ALTER TABLE audit_log ADD COLUMN role String DEFAULT '';
ALTER TABLE audit_log ADD COLUMN remote String DEFAULT '';
ALTER TABLE audit_log ADD COLUMN forwarded_for String DEFAULT '';
