-- A number field added to past the largest finite double becomes Infinity, which SQLite stores but
-- JSON cannot carry (the API showed it as null). Refused inside the delivery's batch, like an
-- overdraft, so the whole delivery rolls back and is answered 422 field_out_of_range.
CREATE TRIGGER user_field_values_finite_insert BEFORE INSERT ON user_field_values
WHEN typeof(NEW.value) = 'real' AND abs(NEW.value) > 1.7976931348623157e308
BEGIN
  SELECT RAISE(ABORT, 'hookmap:field_out_of_range');
END;

CREATE TRIGGER user_field_values_finite_update BEFORE UPDATE ON user_field_values
WHEN typeof(NEW.value) = 'real' AND abs(NEW.value) > 1.7976931348623157e308
BEGIN
  SELECT RAISE(ABORT, 'hookmap:field_out_of_range');
END;
