mod tasks_run;
