//go:debug decoratemappings=0

// goroutines exercises goroutine scheduling: a worker pool over channels,
// a pipeline, select over several channels, sync.WaitGroup and forced
// collections while goroutines hold live data.
package main

import (
	"fmt"
	"runtime"
	"sync"
)

func workerPool() uint64 {
	jobs := make(chan uint64)
	results := make(chan uint64, 16)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				x := j
				for i := 0; i < 100; i++ { // a little work per job
					x = x*6364136223846793005 + 1442695040888963407
				}
				results <- j*j + x%7
			}
		}()
	}
	go func() {
		for j := uint64(1); j <= 2000; j++ {
			jobs <- j
		}
		close(jobs)
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	var sum uint64
	n := 0
	for r := range results {
		sum += r
		n++
		if n%500 == 0 {
			runtime.GC()
		}
	}
	return sum
}

func pipeline() int {
	src := make(chan int)
	go func() {
		for i := 1; i <= 1000; i++ {
			src <- i
		}
		close(src)
	}()
	stage := func(in <-chan int, f func(int) int) <-chan int {
		out := make(chan int, 4)
		go func() {
			for v := range in {
				out <- f(v)
			}
			close(out)
		}()
		return out
	}
	sq := stage(src, func(v int) int { return v * v })
	inc := stage(sq, func(v int) int { return v + 1 })
	odd := stage(inc, func(v int) int { return v % 1000003 })
	total := 0
	for v := range odd {
		total += v
	}
	return total
}

func selects() (int, int, int) {
	a := make(chan int)
	b := make(chan int)
	quit := make(chan struct{}) // never ready
	go func() {
		for i := 0; i < 300; i++ {
			a <- i
		}
	}()
	go func() {
		for i := 0; i < 200; i++ {
			b <- 2 * i
		}
	}()
	na, nb, sum := 0, 0, 0
	for na+nb < 500 {
		select {
		case v := <-a:
			na++
			sum += v
		case v := <-b:
			nb++
			sum += v
		case <-quit:
			panic("unreachable")
		}
	}
	return na, nb, sum
}

func spawnMany() int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	count := 0
	for i := 0; i < 1000; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if i%100 == 0 {
				runtime.Gosched()
			}
			mu.Lock()
			count += i
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	return count
}

func main() {
	fmt.Printf("worker pool sum: %d\n", workerPool())
	fmt.Printf("pipeline total: %d\n", pipeline())
	na, nb, sum := selects()
	fmt.Printf("select: a=%d b=%d sum=%d\n", na, nb, sum)
	runtime.GC()
	fmt.Printf("spawned 1000, sum %d\n", spawnMany())
	fmt.Println("goroutines: done")
}
