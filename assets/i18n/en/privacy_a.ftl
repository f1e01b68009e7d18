# Privacy (part a): writes are never GETs
error-reveal-needs-post = Full ID numbers can only be exported by submitting the export form (POST) with a reason, not by opening a link.
