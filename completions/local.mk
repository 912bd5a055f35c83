# Shell completions go where each shell looks for vendor files.
bashcompletiondir = $(datadir)/bash-completion/completions
dist_bashcompletion_DATA = completions/cronq.bash
zshcompletiondir = $(datadir)/zsh/site-functions
dist_zshcompletion_DATA = completions/_cronq
fishcompletiondir = $(datadir)/fish/vendor_completions.d
dist_fishcompletion_DATA = completions/cronq.fish

# bash-completion looks the file up by the command's name.
install-data-hook: install-bashcompletion-rename
install-bashcompletion-rename:
	mv -f $(DESTDIR)$(bashcompletiondir)/cronq.bash \
	    $(DESTDIR)$(bashcompletiondir)/cronq
uninstall-hook: uninstall-bashcompletion-rename
uninstall-bashcompletion-rename:
	rm -f $(DESTDIR)$(bashcompletiondir)/cronq
.PHONY: install-bashcompletion-rename uninstall-bashcompletion-rename
