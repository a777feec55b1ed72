package workinghours_test

import (
	"fmt"
	"time"

	"github.com/chatflow/chatflow/internal/workinghours"
)

func Example() {
	cal, err := workinghours.New(workinghours.Config{
		TimeZone: "Europe/Bucharest",
		Weekly: workinghours.Weekly{
			Monday: []string{"09:00-17:00"},
			Friday: []string{"09:00-17:00", "22:00-02:00"},
		},
		Holidays: []workinghours.Holiday{{Date: "2026-12-25", Name: "Christmas"}},
	})
	if err != nil {
		panic(err)
	}
	loc := cal.Location()
	at := time.Date(2026, 3, 6, 18, 0, 0, 0, loc) // a Friday evening
	next, _ := cal.NextOpen(at)
	fmt.Println(cal.IsOpen(at), next.Format("Mon 15:04"))

	_, err = workinghours.New(workinghours.Config{Weekly: workinghours.Weekly{Monday: []string{"9:00-17:0"}}})
	fmt.Println(err)
	// Output:
	// false Fri 22:00
	// invalid working hours: weekly.monday[0]: "9:00-17:0": invalid interval: end "17:0": minutes must be two digits
}
