// Package scenarios declares workloads, fault schedules and checks as runnable scenarios.
package scenarios
