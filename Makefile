# wardwatch: build and install.
#   make                       release build of wardwatch, wardwatch-listen and wardwatch-forward
#   make install PREFIX=/usr/local [DESTDIR=...]
#       PREFIX/bin/wardwatch, PREFIX/bin/wardwatch-listen, PREFIX/bin/wardwatch-forward, PREFIX/share/wardwatch/Rules (rules, mappings),
#       man pages, bash/zsh/fish completions
#   make uninstall PREFIX=/usr/local
#   make install-files PREFIX=... BUILD_DIR=...   installs what BUILD_DIR holds, without building

PREFIX ?= /usr/local
DESTDIR ?=
CONFIGURATION ?= release
SWIFT ?= swift
BUILD_DIR ?= $(shell $(SWIFT) build -c $(CONFIGURATION) --show-bin-path)
MANUALS ?= .build/plugins/GenerateManual/outputs

BIN = $(DESTDIR)$(PREFIX)/bin
SHARE = $(DESTDIR)$(PREFIX)/share

.PHONY: all build manuals install install-files uninstall

all: build

build:
	$(SWIFT) build -c $(CONFIGURATION)

manuals: build
	$(SWIFT) package plugin generate-manual

install: build manuals install-files

install-files:
	install -d $(BIN) $(SHARE)/wardwatch $(SHARE)/man/man1 $(SHARE)/bash-completion/completions \
		$(SHARE)/zsh/site-functions $(SHARE)/fish/vendor_completions.d
	install -m 0755 $(BUILD_DIR)/wardwatch $(BUILD_DIR)/wardwatch-listen $(BUILD_DIR)/wardwatch-forward $(BIN)/
	rm -rf $(SHARE)/wardwatch/Rules
	cp -R Rules $(SHARE)/wardwatch/Rules
	$(BIN)/wardwatch --generate-completion-script bash > $(SHARE)/bash-completion/completions/wardwatch
	$(BIN)/wardwatch --generate-completion-script zsh > $(SHARE)/zsh/site-functions/_wardwatch
	$(BIN)/wardwatch --generate-completion-script fish > $(SHARE)/fish/vendor_completions.d/wardwatch.fish
	if [ -f "$(MANUALS)/wardwatch/wardwatch.1" ]; then install -m 0644 "$(MANUALS)/wardwatch/wardwatch.1" $(SHARE)/man/man1/wardwatch.1; fi
	if [ -f "$(MANUALS)/wardwatch-listen/wardwatch listen.1" ]; then install -m 0644 "$(MANUALS)/wardwatch-listen/wardwatch listen.1" $(SHARE)/man/man1/wardwatch-listen.1; fi

uninstall:
	rm -f $(BIN)/wardwatch $(BIN)/wardwatch-listen $(BIN)/wardwatch-forward $(SHARE)/man/man1/wardwatch.1 $(SHARE)/man/man1/wardwatch-listen.1 \
		$(SHARE)/bash-completion/completions/wardwatch $(SHARE)/zsh/site-functions/_wardwatch \
		$(SHARE)/fish/vendor_completions.d/wardwatch.fish
	rm -rf $(SHARE)/wardwatch
