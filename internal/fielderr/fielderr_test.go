package fielderr

import (
	"errors"
	"testing"
)

func TestError(t *testing.T) {
	cause := errors.New("bad range")
	err := error(&Error{Problems: []Problem{{Field: "name", Message: "required"}, {Field: "range", Message: "not a range", Err: cause}}})
	if got, want := err.Error(), "invalid input: name: required; range: not a range"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, ErrInvalid) || !errors.Is(err, cause) {
		t.Errorf("errors.Is: ErrInvalid %v, cause %v", errors.Is(err, ErrInvalid), errors.Is(err, cause))
	}
	var fe *Error
	if !errors.As(err, &fe) || len(fe.Problems) != 2 {
		t.Errorf("errors.As = %v", fe)
	}
}
