package main

import (
	"context"
	"os"

	"github.com/chatflow/chatflow"

	"example.com/chatflow-plugin/greet"
	"example.com/chatflow-plugin/logstore"
)

func main() {
	os.Exit(chatflow.Main(context.Background(), os.Args[1:],
		chatflow.WithAction(greet.Spec()),
		chatflow.WithStore("logstore", logstore.Open),
	))
}
