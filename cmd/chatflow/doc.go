// Command chatflow is the one chatflow binary.
//
//	chatflow serve    [--addr 127.0.0.1:8080] [--flows DIR] [--data DIR] [--redis-addr ADDR]
//	chatflow validate PATH...        lint flows (*.flow.yaml) and test scripts (*.test.yaml)
//	chatflow test     PATH...        run scripted conversations
//	chatflow run      FLOWDIR        chat with the bot in the terminal
//	chatflow actions  [--json]       list the internal actions and their parameters
//	chatflow version                 the module version and VCS revision of this build (also --version)
//
// Exit status: 0 on success, 1 when validation or a test fails, 2 on bad usage.
package main
