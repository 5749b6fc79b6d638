"""What the public race pages may read: public races, the edition a page shows, a runner list
with sort, filters, search and paging, counts by state, and what changed since a position."""
