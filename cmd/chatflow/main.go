package main

import (
	"context"
	"os"

	"github.com/chatflow/chatflow"
)

func main() {
	os.Exit(chatflow.Main(context.Background(), os.Args[1:]))
}
