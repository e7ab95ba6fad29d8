-- What an explanation needs beyond the rankings: the review score's value in
-- lowest terms (its shown numerator is rounded), so a score can be recomputed
-- from its explanation alone, and which overdue issues were reopened.
ALTER TABLE scores ADD COLUMN review_exact String DEFAULT '';
ALTER TABLE result_cases ADD COLUMN reopened UInt8 DEFAULT 0;
