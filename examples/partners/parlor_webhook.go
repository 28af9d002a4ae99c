// A network talking to Parlor's webhook protocol with Go's standard library only.
//
//	PARLOR_URL=http://127.0.0.1:8080 PARLOR_NETWORK=chatapp PARLOR_SECRET=... \
//	    go run parlor_webhook.go send chatapp:alice @bob "hello"
//	PARLOR_SECRET=... PARLOR_SIGNATURE="t=...,v1=..." go run parlor_webhook.go verify < body
//
// Signing (docs/contract.md, section 3): Parlor-Signature: t=<unix seconds>,
// v1=<lowercase hex HMAC-SHA256(secret, "<t>." + raw body)>; more than 300 s off is refused.
package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

const skew = 300

func sign(secret string, body []byte, t int64) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(t, 10) + "."))
	mac.Write(body)
	return fmt.Sprintf("t=%d,v1=%s", t, hex.EncodeToString(mac.Sum(nil)))
}

func verify(secret, header string, body []byte, now int64) bool {
	parts := map[string]string{}
	for _, p := range strings.Split(header, ",") {
		if kv := strings.SplitN(p, "=", 2); len(kv) == 2 {
			parts[kv[0]] = kv[1]
		}
	}
	t, err := strconv.ParseInt(parts["t"], 10, 64)
	if err != nil || now-t > skew || t-now > skew {
		return false
	}
	expected := strings.SplitN(sign(secret, body, t), ",v1=", 2)[1]
	return hmac.Equal([]byte(expected), []byte(parts["v1"]))
}

func send(url, network, secret, from, to, text string) int {
	id := make([]byte, 16)
	rand.Read(id)
	body, _ := json.Marshal(map[string]any{
		"id": "go-" + hex.EncodeToString(id), "from": from, "to": to,
		"sentAt":  time.Now().UTC().Format("2006-01-02T15:04:05Z"),
		"content": map[string]string{"type": "text", "text": text},
	})
	req, _ := http.NewRequest("POST", url+"/v1/networks/"+network+"/messages", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Parlor-Signature", sign(secret, body, time.Now().Unix()))
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		fmt.Println(err)
		return 0
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(answer))
	return resp.StatusCode
}

func main() {
	secret := os.Getenv("PARLOR_SECRET")
	switch {
	case len(os.Args) == 5 && os.Args[1] == "send":
		if send(os.Getenv("PARLOR_URL"), os.Getenv("PARLOR_NETWORK"), secret, os.Args[2], os.Args[3], os.Args[4]) != 202 {
			os.Exit(1)
		}
	case len(os.Args) == 2 && os.Args[1] == "verify":
		body, _ := io.ReadAll(os.Stdin)
		if !verify(secret, os.Getenv("PARLOR_SIGNATURE"), body, time.Now().Unix()) {
			fmt.Println("invalid")
			os.Exit(1)
		}
		fmt.Println("valid")
	default:
		fmt.Fprintln(os.Stderr, "usage: parlor_webhook.go send FROM TO TEXT | verify")
		os.Exit(2)
	}
}
