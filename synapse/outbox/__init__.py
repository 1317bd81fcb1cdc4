"""The outbox: Celery work that could not be handed to the broker, kept until it can.

``enqueue_or_keep(task, *args)`` sends a task with a bounded wait; when the broker is
down it stores the job as an ``OutboxJob`` row instead of failing the request, and the
periodic ``outbox_flush`` task (beat, every minute) sends the kept jobs once the broker
answers again.
"""
